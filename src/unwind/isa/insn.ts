// The instruction model the per-ISA decoders (riscv.ts, aarch64.ts, x86.ts) produce and the
// prologue analysis (../prologue.ts) interprets: each decoded instruction is a length, how
// control leaves it, and a list of small operations on registers and stack slots.

export interface DecodedInsn {
  addr: bigint;
  len: number;
  /** 'next': falls through only; the others end the function's straight-line start. */
  flow: Flow;
  /** Direct branch/jump/call target. */
  target?: bigint;
  /** True when the instruction's effect is not understood (state unknown after it). */
  unknown?: boolean;
  /** A no-op of the kinds assemblers pad with. */
  nop?: boolean;
}

/**
 * How control leaves an instruction: 'next' falls through; 'branch' falls through or goes to
 * `target`; 'jump' goes to `target`; 'call' falls through after the callee; 'stop' returns
 * (or traps for good); 'indirect' goes somewhere not known (jump table or tail call).
 */
export type Flow = 'next' | 'branch' | 'jump' | 'call' | 'stop' | 'indirect';

/** A stack address: register value + offset; null = not resolvable (assumed not to be a save slot). */
export type Addr = { base: number; off: bigint } | null;

export type Expr =
  | { k: 'c'; v: bigint }
  /** r + add */
  | { k: 'reg'; r: number; add: bigint }
  /** a ± (b << shift) */
  | { k: 'reg2'; a: number; b: number; neg: boolean; shift: number }
  | { k: 'load'; addr: Addr; size: number }
  /** (r & keep) | imm (AArch64 MOVK) */
  | { k: 'movk'; r: number; imm: bigint; keep: bigint }
  | { k: 'unk' };

export type Op =
  /** rd := e; ext: the operation is 32 bits wide on a 64-bit machine (a constant result is zero- or sign-extended, anything else becomes unknown). */
  | { o: 'set'; rd: number; e: Expr; ext?: 'z' | 's' }
  | { o: 'store'; addr: Addr; size: number; e: Expr }
  /** A call returned: caller-saved registers are unknown. */
  | { o: 'call' }
  /** AArch64 PAC on x30: sign (PACIASP) or authenticate (AUTIASP). */
  | { o: 'pac'; sign: boolean }
  /** Not understood: everything becomes unknown. */
  | { o: 'havoc' };

export interface Insn extends DecodedInsn {
  ops: Op[];
}

/** Pseudo register: reads as 0, writes vanish (AArch64 XZR, RISC-V x0). */
export const ZR = -1;
/** Scratch pseudo registers for instructions that read everything before writing (always cleared again). */
export const T1 = -2;
export const T2 = -3;

export const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

// ---------------------------------------------------------------------------------------
// Helpers for the decoders.

export const sx = (v: number, bits: number): number => (v << (32 - bits)) >> (32 - bits);
export const set = (rd: number, e: Expr, ext?: 'z' | 's'): Op => (ext ? { o: 'set', rd, e, ext } : { o: 'set', rd, e });
export const unk = (...rds: number[]): Op[] => rds.map((rd) => set(rd, { k: 'unk' }));
export const regE = (r: number, add = 0n): Expr => ({ k: 'reg', r, add });
export const HAVOC: Op[] = [{ o: 'havoc' }];

export function nop(i: Insn | null): Insn | null {
  if (i) i.nop = true;
  return i;
}

export function mk(addr: bigint, len: number, ops: Op[], flow: Flow = 'next', target?: bigint): Insn {
  const i: Insn = { addr, len, ops, flow };
  if (target !== undefined) i.target = target;
  if (ops.some((o) => o.o === 'havoc')) i.unknown = true;
  return i;
}
