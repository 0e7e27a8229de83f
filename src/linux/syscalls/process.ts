// System calls about the process itself: exit, the ids, resource limits, uname, the
// scheduler's answers for one CPU, and the arch's thread-pointer call (x86-64 arch_prctl).

import type { LinuxKernel } from '../kernel.js';
import { GUEST_GID, GUEST_PID, GUEST_UID, KERNEL } from '../ids.js';
import { encodeRlimit, encodeUtsname, Struct } from '../structs.js';
import { ok, type HandlerTable } from './types.js';

const ARCH_SET_FS = 0x1002;
const ARCH_GET_FS = 0x1003;
const RLIMIT_STACK = 3;
const RLIMIT_NOFILE = 7;
const RLIMIT_AS = 9;
const RLIM_NLIMITS = 16;

function rlimit(k: LinuxKernel, res: number): Uint8Array {
  const INF = (1n << 64n) - 1n;
  if (res === RLIMIT_STACK) return encodeRlimit(8n << 20n, INF);
  if (res === RLIMIT_NOFILE) return encodeRlimit(1024n, 4096n);
  if (res === RLIMIT_AS) return encodeRlimit(k.mem.limit, k.mem.limit); // --mem-limit
  return encodeRlimit(INF, INF);
}

export const processCalls: HandlerTable = {
  exit: (_k, a) => ({ kind: 'exit', code: Number(a[0]! & 0xffn) }),
  exit_group: (_k, a) => ({ kind: 'exit', code: Number(a[0]! & 0xffn) }),
  set_tid_address: () => BigInt(GUEST_PID),
  set_robust_list: (k, a) => (a[1] === BigInt(3 * k.ptr) ? 0n : 'EINVAL'),
  // A kernel without restartable sequences: glibc and musl go on without them.
  rseq: () => 'ENOSYS',
  getpid: () => BigInt(GUEST_PID),
  gettid: () => BigInt(GUEST_PID),
  getppid: () => 1n,
  getpgid: () => BigInt(GUEST_PID),
  getpgrp: () => BigInt(GUEST_PID),
  getsid: () => BigInt(GUEST_PID),
  getuid: () => BigInt(GUEST_UID),
  geteuid: () => BigInt(GUEST_UID),
  getgid: () => BigInt(GUEST_GID),
  getegid: () => BigInt(GUEST_GID),
  getresuid: (k, a) => (a.slice(0, 3).every((p) => k.put(p, new Struct(4).u32(0, GUEST_UID).bytes)) ? 0n : 'EFAULT'),
  getresgid: (k, a) => (a.slice(0, 3).every((p) => k.put(p, new Struct(4).u32(0, GUEST_GID).bytes)) ? 0n : 'EFAULT'),
  sched_yield: ok,
  sched_getaffinity: (k, a) => {
    if (a[1]! < 8n || a[1]! % BigInt(k.ptr) !== 0n) return 'EINVAL';
    return k.put(a[2]!, new Struct(8).u64(0, 1n).bytes) ? 8n : 'EFAULT';
  },
  uname: (k, a) =>
    k.put(a[0]!, encodeUtsname({ ...KERNEL, nodename: KERNEL.hostname, machine: k.arch.linux.machine }))
      ? 0n
      : 'EFAULT',
  prlimit64: (k, a) => {
    const pid = k.int(a[0]!);
    if (pid !== 0 && pid !== GUEST_PID) return 'ESRCH';
    const res = k.int(a[1]!);
    if (res < 0 || res >= RLIM_NLIMITS) return 'EINVAL';
    if (a[3] !== 0n && !k.put(a[3]!, rlimit(k, res))) return 'EFAULT';
    if (a[2] !== 0n && !k.mem.readUser(a[2]!, 16)) return 'EFAULT';
    return 0n;
  },
  getrlimit: (k, a) => {
    const res = k.int(a[0]!);
    if (res < 0 || res >= RLIM_NLIMITS) return 'EINVAL';
    return k.put(a[1]!, rlimit(k, res)) ? 0n : 'EFAULT';
  },
  setrlimit: (k, a) => (k.mem.readUser(a[1]!, 16) ? 0n : 'EFAULT'),
  arch_prctl: (k, a) => {
    const code = k.int(a[0]!);
    const fsBase = k.arch.linux.fsBase;
    if (fsBase === undefined) return 'EINVAL';
    if (code === ARCH_SET_FS) {
      k.host.setReg(fsBase, a[1]!);
      return 0n;
    }
    if (code === ARCH_GET_FS) return k.put(a[1]!, new Struct(8).u64(0, k.host.reg(fsBase)).bytes) ? 0n : 'EFAULT';
    return 'EINVAL';
  },
  riscv_flush_icache: ok,
};
