// The Linux system-call layer, as far as freestanding guests need it: write to fds 1 and
// 2, exit and exit_group. A call it does not know stops the run with SIGSYS, reported with
// the call's number, so an unsupported program never hangs or fails silently.

import type { Arch } from '../arch/index.js';

export const EBADF = 9;
export const EFAULT = 14;

/** The guest's view of the machine that the syscall layer needs. */
export interface SyscallHost {
  arch: Arch;
  reg(id: number): bigint;
  setReg(id: number, v: bigint): void;
  read(addr: bigint, n: number): Uint8Array | null;
  output(fd: 1 | 2, data: Uint8Array): void;
}

export type SyscallResult = { kind: 'continue' } | { kind: 'exit'; code: number } | { kind: 'unsupported'; number: number };

/** The most bytes one write call copies out of the guest. */
const MAX_WRITE = 1 << 20;

export function handleSyscall(h: SyscallHost): SyscallResult {
  const abi = h.arch.syscall;
  const n = Number(h.reg(abi.numberReg));
  const arg = (i: number) => h.reg(abi.argRegs[i]!);
  const ret = (v: bigint) => h.setReg(abi.retReg, BigInt.asUintN(h.arch.ptrSize * 8, v));
  const nums = abi.numbers;
  switch (n) {
    case nums.exit:
    case nums.exit_group:
      return { kind: 'exit', code: Number(arg(0) & 0xffn) };
    case nums.write: {
      const fd = Number(arg(0));
      const len = Number(BigInt.asUintN(32, arg(2) > BigInt(MAX_WRITE) ? BigInt(MAX_WRITE) : arg(2)));
      if (fd !== 1 && fd !== 2) {
        ret(-BigInt(EBADF));
        return { kind: 'continue' };
      }
      const data = len === 0 ? new Uint8Array(0) : h.read(arg(1), len);
      if (data === null) {
        ret(-BigInt(EFAULT));
        return { kind: 'continue' };
      }
      h.output(fd, data);
      ret(BigInt(len));
      return { kind: 'continue' };
    }
    default:
      return { kind: 'unsupported', number: n };
  }
}
