// AArch64 (AAPCS64, Linux). Frame record: x29 points at {caller x29, x30} (AAPCS64 §6.2.3,
// "The Frame Pointer"), so the caller's fp is at [fp] and the return address at [fp+8].
// A frame without a record finds its caller in x30.

import { GENERIC_SYSCALLS } from '../linux/syscall-table.js';
import { UC_ARCH, UC_MODE, ARM64_REG } from '../emu/consts.js';
import { frame0HasRecord, linkRegisterFrame0, u32le, type PrologueDecoder } from './frame0.js';
import type { Arch, TrapMeaning } from './types.js';

const prologue: PrologueDecoder = {
  frameSetupOffset(code) {
    for (let off = 0; off + 4 <= code.length; off += 4) {
      // add x29, sp, #imm12 (mov x29, sp is imm 0): sf=1 op=0 S=0 100010 sh=0, Rn=31, Rd=29
      if (((u32le(code, off) & 0xffc003ff) >>> 0) === 0x910003fd) return off;
    }
    return null;
  },
  isReturn: (b) => b.length >= 4 && u32le(b, 0) === 0xd65f03c0, // ret (x30)
};

function interrupt(intno: number): TrapMeaning | null {
  // QEMU target/arm EXCP_* numbers, as Unicorn's interrupt hook passes them.
  switch (intno) {
    case 2: return { kind: 'syscall' }; // EXCP_SWI: svc, pc already past it
    case 7: return { kind: 'signal', signal: 'SIGTRAP', reason: 'breakpoint (brk)', pcAdjust: 0 }; // EXCP_BKPT
    case 1: return { kind: 'signal', signal: 'SIGILL', reason: 'illegal instruction', pcAdjust: 0 }; // EXCP_UDEF
    default: return null;
  }
}

export const aarch64: Arch = {
  name: 'aarch64',
  elf: { machine: 183, bits: 64 },
  ptrSize: 8,
  engine: { arch: UC_ARCH.ARM64, mode: UC_MODE.ARM },
  regs: {
    pc: ARM64_REG.PC,
    sp: ARM64_REG.SP,
    fp: ARM64_REG.X29,
    link: ARM64_REG.X30,
    args: [ARM64_REG.X0, ARM64_REG.X1, ARM64_REG.X2, ARM64_REG.X3, ARM64_REG.X4, ARM64_REG.X5, ARM64_REG.X6, ARM64_REG.X7],
    show: [
      { name: 'pc', id: ARM64_REG.PC }, { name: 'sp', id: ARM64_REG.SP }, { name: 'x29', id: ARM64_REG.X29 },
      { name: 'x30', id: ARM64_REG.X30 }, { name: 'x0', id: ARM64_REG.X0 }, { name: 'x1', id: ARM64_REG.X1 },
      { name: 'x2', id: ARM64_REG.X2 }, { name: 'x3', id: ARM64_REG.X3 },
    ],
  },
  record: { callerFp: 0, returnAddress: 8 },
  // DWARF for the Arm 64-bit Architecture (AADWARF64) §4.1: x0-x30 are 0-30, sp is 31.
  dwarf: {
    sp: 31,
    fp: 29,
    regs: [
      ...Array.from({ length: 29 }, (_, i) => ({ dwarf: i, name: `x${i}`, id: ARM64_REG.X0 + i })),
      { dwarf: 29, name: 'x29', id: ARM64_REG.X29 },
      { dwarf: 30, name: 'x30', id: ARM64_REG.X30 },
      { dwarf: 31, name: 'sp', id: ARM64_REG.SP },
    ],
  },
  stackAlign: 16,
  syscall: {
    numberReg: ARM64_REG.X8,
    argRegs: [ARM64_REG.X0, ARM64_REG.X1, ARM64_REG.X2, ARM64_REG.X3, ARM64_REG.X4, ARM64_REG.X5],
    retReg: ARM64_REG.X0,
    numbers: GENERIC_SYSCALLS,
  },
  linux: {
    userTop: 1n << 48n,
    stat: 'generic',
    sigactionRestorer: true,
    // arch/arm64/include/uapi/asm/fcntl.h moves these two from the generic values.
    openFlags: { directory: 0o40000, nofollow: 0o100000, largefile: 0o400000 },
    // HWCAP_FP | ASIMD | AES | PMULL | SHA1 | SHA2 | CRC32: what Unicorn's Cortex-A72 model
    // implements (arch/arm64/include/uapi/asm/hwcap.h). No HWCAP_CPUID: glibc would read MIDR_EL1.
    hwcap: 0xfbn,
    hwcap2: 0n,
    platform: 'aarch64',
    machine: 'aarch64',
  },
  capstone: { arch: 'ARCH_ARM64', modes: ['MODE_ARM'] },
  syscallPcAdjust: 4,
  syscallInsnSize: 4,
  interrupt,
  invalidInstruction() {
    return { kind: 'signal', signal: 'SIGILL', reason: 'illegal instruction', pcAdjust: 0 };
  },
  frame0Caller: (ctx) => linkRegisterFrame0(ctx, prologue, 'x30'),
  hasFrameRecord: (ctx) => frame0HasRecord(ctx, prologue).has,
};
