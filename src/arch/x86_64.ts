// x86-64 (System V psABI, Linux). Frame record: push rbp; mov rbp, rsp, so the caller's
// rbp is at [rbp] and the return address at [rbp+8] (psABI §3.2.2, "The Stack Frame").
// The call instruction pushes the return address, so a frame without a record finds its
// caller at [rsp] (or [rsp+8] once `push rbp` has run).

import { X86_64_SYSCALLS } from '../linux/syscall-table.js';
import { UC_ARCH, UC_MODE, X86_REG, X86_INS } from '../emu/consts.js';
import { frame0HasRecord, type PrologueDecoder } from './frame0.js';
import type { Arch, TrapMeaning } from './types.js';

const ENDBR64 = [0xf3, 0x0f, 0x1e, 0xfa];

function startsWith(code: Uint8Array, at: number, bytes: readonly number[]): boolean {
  return bytes.every((b, i) => code[at + i] === b);
}

const prologue: PrologueDecoder = {
  frameSetupOffset(code) {
    const base = startsWith(code, 0, ENDBR64) ? 4 : 0;
    // push rbp (55); mov rbp, rsp (48 89 e5, or 48 8b ec)
    if (code[base] !== 0x55) return null;
    if (startsWith(code, base + 1, [0x48, 0x89, 0xe5]) || startsWith(code, base + 1, [0x48, 0x8b, 0xec])) return base + 1;
    return null;
  },
  isReturn: (b) => b[0] === 0xc3 || (b[0] === 0xf3 && b[1] === 0xc3),
};

function interrupt(intno: number): TrapMeaning | null {
  switch (intno) {
    case 0: return { kind: 'signal', signal: 'SIGFPE', reason: 'integer divide by zero', pcAdjust: 0 };
    case 1: return { kind: 'signal', signal: 'SIGTRAP', reason: 'debug exception', pcAdjust: 0 };
    case 3: return { kind: 'signal', signal: 'SIGTRAP', reason: 'breakpoint (int3)', pcAdjust: 1 };
    case 4: return { kind: 'signal', signal: 'SIGSEGV', reason: 'overflow (into)', pcAdjust: 0 };
    case 5: return { kind: 'signal', signal: 'SIGSEGV', reason: 'bound range exceeded', pcAdjust: 0 };
    case 6: return { kind: 'signal', signal: 'SIGILL', reason: 'illegal instruction', pcAdjust: 0 };
    case 13: return { kind: 'signal', signal: 'SIGSEGV', reason: 'general protection fault', pcAdjust: 0 };
    case 16: case 19: return { kind: 'signal', signal: 'SIGFPE', reason: 'floating-point exception', pcAdjust: 0 };
    case 17: return { kind: 'signal', signal: 'SIGBUS', reason: 'alignment check', pcAdjust: 0 };
    default: return null;
  }
}

export const x86_64: Arch = {
  name: 'x86-64',
  elf: { machine: 62, bits: 64 },
  ptrSize: 8,
  engine: { arch: UC_ARCH.X86, mode: UC_MODE.MODE_64 },
  regs: {
    pc: X86_REG.RIP,
    sp: X86_REG.RSP,
    fp: X86_REG.RBP,
    args: [X86_REG.RDI, X86_REG.RSI, X86_REG.RDX, X86_REG.RCX, X86_REG.R8, X86_REG.R9],
    show: [
      { name: 'rip', id: X86_REG.RIP }, { name: 'rsp', id: X86_REG.RSP }, { name: 'rbp', id: X86_REG.RBP },
      { name: 'rax', id: X86_REG.RAX }, { name: 'rdi', id: X86_REG.RDI }, { name: 'rsi', id: X86_REG.RSI },
      { name: 'rdx', id: X86_REG.RDX }, { name: 'rcx', id: X86_REG.RCX },
    ],
  },
  record: { callerFp: 0, returnAddress: 8, cfaFromFp: 16 },
  // psABI §3.6.2, "DWARF Register Number Mapping": 0-7 are rax, rdx, rcx, rbx, rsi, rdi,
  // rbp, rsp; 8-15 are r8-r15; 16 is the return address (rip).
  dwarf: {
    sp: 7,
    fp: 6,
    regs: (['RAX', 'RDX', 'RCX', 'RBX', 'RSI', 'RDI', 'RBP', 'RSP', 'R8', 'R9', 'R10', 'R11', 'R12', 'R13', 'R14', 'R15', 'RIP'] as const).map(
      (n, i) => ({ dwarf: i, name: n.toLowerCase(), id: X86_REG[n] }),
    ),
  },
  stackAlign: 16,
  syscall: {
    numberReg: X86_REG.RAX,
    argRegs: [X86_REG.RDI, X86_REG.RSI, X86_REG.RDX, X86_REG.R10, X86_REG.R8, X86_REG.R9],
    retReg: X86_REG.RAX,
    numbers: X86_64_SYSCALLS,
  },
  linux: {
    userTop: 0x7fff_ffff_f000n,
    stat: 'x86-64',
    sigactionRestorer: true,
    openFlags: { directory: 0o200000, nofollow: 0o400000, largefile: 0o100000 },
    // CPUID.1:EDX as the kernel passes it (glibc reads cpuid itself on x86).
    hwcap: 0x178bfbffn,
    platform: 'x86_64',
    machine: 'x86_64',
    fsBase: X86_REG.FS_BASE,
  },
  syscallInsn: X86_INS.SYSCALL,
  capstone: { arch: 'ARCH_X86', modes: ['MODE_64'] },
  syscallPcAdjust: 0,
  syscallInsnSize: 2,
  interrupt,
  invalidInstruction(bytes) {
    const ud2 = bytes !== null && bytes[0] === 0x0f && bytes[1] === 0x0b;
    return { kind: 'signal', signal: 'SIGILL', reason: ud2 ? 'illegal instruction (ud2)' : 'illegal instruction', pcAdjust: 0 };
  },
  hasFrameRecord: (ctx) => frame0HasRecord(ctx, prologue).has,
  frame0Caller(ctx) {
    const st = frame0HasRecord(ctx, prologue);
    if (st.has) return null;
    // At the setup instruction `push rbp` has run, so the return address is one slot up.
    const afterPush = ctx.func !== null && st.setup !== null && ctx.pc === ctx.func.start + BigInt(st.setup);
    const slot = afterPush ? 8n : 0n;
    const ra = ctx.readPtr(ctx.sp + slot);
    if (ra === null) return null;
    return { returnAddress: ra, rule: 'stack-slot', where: slot ? '[rsp+8]' : '[rsp]' };
  },
};
