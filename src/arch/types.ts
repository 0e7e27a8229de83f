// The Arch interface: everything that differs between guest architectures, as data
// plus a few small pure functions. Shared code names registers only through the aliases
// here (pc, sp, fp, link), never rip or x29.

import type { Signal } from './signals.js';

/** One spelling per arch everywhere: flags, folders, file names, JSON. */
export type ArchName = 'aarch64' | 'x86-64' | 'rv32' | 'rv64';
export const ARCH_NAMES: readonly ArchName[] = ['aarch64', 'x86-64', 'rv32', 'rv64'];

/** Engine register ids behind the aliases shared code uses. */
export interface RegisterIds {
  pc: number;
  sp: number;
  fp: number;
  /** Link register (x30, ra); absent on x86-64, whose return address is pushed on the stack. */
  link?: number;
  /** Integer argument registers in calling-convention order. */
  args: readonly number[];
  /** Named registers shown in reports, in display order. */
  show: readonly { name: string; id: number }[];
}

/** Where the frame record sits relative to the frame pointer, in bytes (psABI). */
export interface FrameRecordLayout {
  callerFp: number;
  returnAddress: number;
  /**
   * The caller's sp (the CFA) relative to fp in a frame that keeps the psABI record, when the
   * psABI fixes it (x86-64: fp + 16; RISC-V: fp itself). Absent on AArch64, where the record
   * may sit anywhere in the frame: a walk that follows a record there no longer knows sp.
   */
  cfaFromFp?: number;
}

/** How an engine event (CPU exception number, invalid instruction) maps to what Linux would do. */
export type TrapMeaning =
  | { kind: 'syscall' }
  | {
      kind: 'signal';
      signal: Signal;
      reason: string;
      /** Bytes to subtract from the pc seen in the hook to get the trapping instruction. */
      pcAdjust: number;
      /** True when the pc seen in the hook is only the start of the translated block. */
      pcImprecise?: boolean;
    };

/** Linux system-call ABI of the arch: registers and the number table. */
export interface SyscallAbi {
  numberReg: number;
  argRegs: readonly number[];
  retReg: number;
  /** The arch's whole system-call table, numbers by name (src/linux/syscall-table.ts). */
  numbers: Readonly<Record<string, number>>;
}

/** The rest of the Linux ABI that differs between arches (the user-space view of the kernel). */
export interface LinuxAbi {
  /** One past the highest user-space address. */
  userTop: bigint;
  /** struct stat layout: the generic one (asm-generic/stat.h) or x86-64's own. */
  stat: 'generic' | 'x86-64';
  /** Whether struct sigaction (kernel form) has sa_restorer (x86-64, aarch64; not RISC-V). */
  sigactionRestorer: boolean;
  /** open(2) flags that differ between arches (asm/fcntl.h). */
  openFlags: { directory: number; nofollow: number; largefile: number };
  /** AT_HWCAP (what the emulated CPU offers, in the kernel's bit encoding) and AT_PLATFORM. */
  hwcap: bigint;
  /** AT_HWCAP2, on the arches whose kernel passes it. */
  hwcap2?: bigint;
  platform: string | null;
  /** uname -m. */
  machine: string;
  /** Register that arch_prctl(ARCH_SET_FS) sets (x86-64 only). */
  fsBase?: number;
}

/** What the frame-0 rule needs to decide whether frame #0 has its own frame record. */
export interface Frame0Context {
  pc: bigint;
  sp: bigint;
  fp: bigint;
  link: bigint | undefined;
  /** The function containing pc, from the symbol table; null when pc is in no function. */
  func: { start: bigint; end: bigint } | null;
  /** Whether an address lies in an executable segment. */
  isCode(addr: bigint): boolean;
  readPtr(addr: bigint): bigint | null;
  readBytes(addr: bigint, n: number): Uint8Array | null;
}

/** How frame #1 was found when frame #0 has no record of its own. */
export interface Frame0Caller {
  returnAddress: bigint;
  rule: 'link-register' | 'stack-slot';
  /** Human description of where it came from, e.g. "[sp]" or "x30". */
  where: string;
}

/** DWARF register numbering (the psABI's DWARF register mapping), for CFI unwinding. */
export interface DwarfRegisters {
  sp: number;
  fp: number;
  /** DWARF number, report name and engine id of every integer register CFI may name. */
  regs: readonly { dwarf: number; name: string; id: number }[];
}

export interface Arch {
  name: ArchName;
  /** e_machine and ELF class (32 or 64) that select this arch. */
  elf: { machine: number; bits: 32 | 64 };
  ptrSize: 4 | 8;
  /** Unicorn arch and mode for this guest. */
  engine: { arch: number; mode: number };
  regs: RegisterIds;
  record: FrameRecordLayout;
  dwarf: DwarfRegisters;
  /** Stack pointer alignment at process entry (psABI). */
  stackAlign: number;
  syscall: SyscallAbi;
  linux: LinuxAbi;
  /** Map a CPU exception delivered through the interrupt hook. */
  interrupt(intno: number): TrapMeaning | null;
  /** Map an invalid-instruction stop, given the instruction bytes at the reported pc. */
  invalidInstruction(bytes: Uint8Array | null): TrapMeaning;
  /** Bytes to subtract from the pc seen when a syscall arrives, to get the syscall instruction. */
  syscallPcAdjust: number;
  /** Length of the system-call instruction (x86-64 `syscall` 2, `svc #0` and `ecall` 4). */
  syscallInsnSize: number;
  /** Whether syscalls arrive as an instruction hook (x86-64 `syscall`) instead of an interrupt. */
  syscallInsn?: number;
  /**
   * Frame #0 without a record of its own (leaf that saved none, first instruction, pc 0):
   * where the caller's return address is. Null when frame #0 has a record.
   */
  frame0Caller(ctx: Frame0Context): Frame0Caller | null;
  /** Whether the function at ctx.pc has set up its frame record by pc (its prologue's fp-setting instruction has run). */
  hasFrameRecord(ctx: Frame0Context): boolean;
  /** Capstone's arch and mode constants (by name) for disassembling this guest's code. */
  capstone: { arch: string; modes: readonly string[] };
  /** Registers to set before the first instruction (FPU enable, etc.), beyond pc and sp. */
  initialRegisters?: readonly { id: number; value: bigint }[];
}
