// The walker: one loop for every arch, driven by the arch table's record layout, frame-0
// rule and DWARF register numbers, reading guest memory only through `read`.
//
// Frame #0 is where the guest stopped. Every later frame is a return address, found in
// the frame record fp points at (or, for frame #1 only, where frame #0 left it when it
// has no record of its own). Where the program has call frame information (.eh_frame or
// .debug_frame) for a frame, it decides: a frame whose CFI places the return address and
// the caller's fp exactly where the record is gets the record rule (the two agree); a
// frame that keeps no record (static glibc is not built with frame pointers everywhere,
// and uses rbp or x29 as an ordinary register there) is unwound by its CFI from sp, as
// gdb does. A function without CFI (glibc's rv64 abort, musl's libc) is unwound by the row
// its decoded prologue implies (src/unwind/prologue.ts), as gdb's prologue analyzers do,
// when every path to pc agrees. Otherwise the record is all there is. The walk stops at the first thing it
// cannot trust and says why; it never guesses a return address by scanning the stack.

import type { Arch } from '../arch/index.js';
import type { Frame0Context } from '../arch/types.js';
import { unwindStep, type CfiRow } from './cfi.js';

export const MAX_FRAMES = 256;

export type FrameRule = 'fault' | 'frame-record' | 'link-register' | 'stack-slot' | 'cfi' | 'prologue';

export interface RawFrame {
  index: number;
  pc: bigint;
  rule: FrameRule;
  /** Frame pointer of this frame, when the chain established one. */
  fp: bigint | null;
  /** For a record-found frame: the address of the record it was read from (the callee's fp). */
  recordAt?: bigint;
  /** For a frame-0 rule: where its return address was read (x30, ra, [rsp]); for cfi, the rule used. */
  where?: string;
}

export type StopReason =
  | 'reached-main'
  | 'end-of-chain'
  | 'null-fp'
  | 'misaligned-fp'
  | 'fp-not-increasing'
  | 'unreadable-record'
  | 'return-address-outside-code'
  | 'sp-not-increasing'
  | 'no-unwind-info'
  | 'truncated';

export interface WalkStop {
  reason: StopReason;
  /** One line for people: what was seen, with the values involved. */
  detail: string;
}

export interface WalkResult {
  frames: RawFrame[];
  stop: WalkStop;
}

export interface WalkInput {
  arch: Arch;
  pc: bigint;
  sp: bigint;
  fp: bigint;
  link?: bigint;
  read(addr: bigint, n: number): Uint8Array | null;
  isCode(addr: bigint): boolean;
  functionAt(addr: bigint): { start: bigint; end: bigint } | null;
  /** True for a pc in the function the trace ends at (main); its frame is the last. */
  isOutermost?(pc: bigint): boolean;
  maxFrames?: number;
  /** Call frame information for the program (src/unwind/cfi.ts), when it has any. */
  cfi?: { rowAt(pc: bigint): CfiRow | null };
  /**
   * For a pc in a function without call frame information: the row its prologue implies
   * there (src/unwind/prologue.ts), decoded from the code; null when it cannot be decoded
   * with certainty.
   */
  prologueRowAt?(pc: bigint): CfiRow | null;
  /** Frame #0's registers by DWARF number (needed for CFI). */
  registers0?: ReadonlyMap<number, bigint>;
}

const hex = (v: bigint) => '0x' + v.toString(16);

export function readPointer(read: WalkInput['read'], addr: bigint, size: 4 | 8): bigint | null {
  if (addr < 0n) return null;
  const b = read(addr, size);
  if (!b || b.length < size) return null;
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

/** One frame's machine state as far as the walk knows it. */
interface State {
  index: number;
  pc: bigint;
  fp: bigint;
  /** Registers by DWARF number; null once the walk has gone through a frame without CFI. */
  regs: Map<number, bigint> | null;
}

export function walk(input: WalkInput): WalkResult {
  const { arch } = input;
  const ptr = arch.ptrSize;
  const max = input.maxFrames ?? MAX_FRAMES;
  const outermost = input.isOutermost ?? (() => false);
  const readPtr = (a: bigint) => readPointer(input.read, a, ptr);
  const frames: RawFrame[] = [{ index: 0, pc: input.pc, rule: 'fault', fp: input.fp }];
  const done = (reason: StopReason, detail: string): WalkResult => ({ frames, stop: { reason, detail } });
  const dw = arch.dwarf;
  const regName = (n: number) => dw.regs.find((r) => r.dwarf === n)?.name ?? `r${n}`;

  if (outermost(input.pc)) return done('reached-main', 'reached main');

  let regs0: Map<number, bigint> | null = input.registers0 ? new Map(input.registers0) : null;
  if (regs0) {
    regs0.set(dw.sp, input.sp);
    regs0.set(dw.fp, input.fp);
  }
  let cur: State = { index: 0, pc: input.pc, fp: input.fp, regs: regs0 };

  /** The CFI row for a frame: at pc for frame #0, at the call (return address - 1) for callers. */
  const rowFor = (s: State): CfiRow | null => {
    if (!input.cfi || !s.regs) return null;
    const at = s.index === 0 ? s.pc : s.pc - 1n;
    return input.cfi.rowAt(at) ?? input.prologueRowAt?.(at) ?? null;
  };
  const step = (row: CfiRow, s: State) =>
    unwindStep(row, { get: (r) => s.regs?.get(r) }, readPtr, ptr);
  /** Whether the row says the frame keeps the psABI frame record at fp (CFA = fp + k, return address and caller fp saved in the record's slots). */
  const rowMatchesRecord = (row: CfiRow): boolean => {
    if (row.cfa.kind !== 'reg' || row.cfa.reg !== dw.fp) return false;
    const k = row.cfa.offset;
    const ra = row.regs.get(row.returnColumn);
    const fp = row.regs.get(dw.fp);
    return ra?.kind === 'offset' && fp?.kind === 'offset' && k + ra.offset === BigInt(arch.record.returnAddress) && k + fp.offset === BigInt(arch.record.callerFp);
  };
  const cfaText = (row: CfiRow) =>
    row.cfa.kind === 'reg' ? `CFA = ${regName(row.cfa.reg)}${row.cfa.offset >= 0n ? '+' : '-'}${row.cfa.offset < 0n ? -row.cfa.offset : row.cfa.offset}` : 'CFA = expression';
  /** The caller's registers after a CFI step: what the row recovered, sp = CFA, callee's others carried over. */
  const callerRegs = (s: State, r: { cfa: bigint; regs: Map<number, bigint> }): Map<number, bigint> => {
    const out = new Map(s.regs ?? []);
    for (const [k, v] of r.regs) out.set(k, v);
    out.set(dw.sp, r.cfa);
    return out;
  };

  // Frame #0 without a record of its own (a leaf, a prologue, pc 0): the frame-0 rule, unless
  // the function's CFI says otherwise.
  const ctx: Frame0Context = {
    pc: input.pc,
    sp: input.sp,
    fp: input.fp,
    link: input.link,
    func: input.functionAt(input.pc),
    isCode: input.isCode,
    readPtr,
    readBytes: (a, n) => (a < 0n ? null : input.read(a, n)),
  };
  const caller = arch.frame0Caller(ctx);
  const row0 = rowFor(cur);
  const viaCfi0 = row0 && !rowMatchesRecord(row0) ? step(row0, cur) : null;
  if (caller && !(viaCfi0 && !('error' in viaCfi0) && viaCfi0.returnAddress !== caller.returnAddress)) {
    const ra = caller.returnAddress;
    if (!input.isCode(ra)) {
      return done('return-address-outside-code', `frame #0 has no record and its return address ${hex(ra)} (${caller.where}) is outside every executable segment`);
    }
    frames.push({ index: 1, pc: ra, rule: caller.rule, fp: input.fp, where: caller.where });
    if (outermost(ra - 1n)) return done('reached-main', 'reached main');
    const ok = viaCfi0 && !('error' in viaCfi0) ? viaCfi0 : null;
    const regs = ok ? callerRegs(cur, ok) : null;
    cur = { index: 1, pc: ra, fp: regs?.get(dw.fp) ?? input.fp, regs };
  }

  while (frames.length < max) {
    const row = rowFor(cur);
    if (row && !rowMatchesRecord(row)) {
      // This frame keeps no frame record (or keeps it elsewhere): unwind it by its CFI.
      const r = step(row, cur);
      const fn = `frame #${cur.index} (${hex(cur.pc)})`;
      if ('error' in r) {
        if (/undefined: outermost frame/.test(r.error)) return done('end-of-chain', `${fn} is the outermost frame (its call frame information leaves the return address undefined)`);
        return done('no-unwind-info', `${fn}: its call frame information (${row.section}) cannot be applied: ${r.error}`);
      }
      const sp = cur.regs?.get(dw.sp);
      if (sp !== undefined && r.cfa < sp) return done('sp-not-increasing', `${fn}: the CFA ${hex(r.cfa)} from its call frame information is below its sp ${hex(sp)}`);
      const ra = r.returnAddress;
      if (ra === 0n) return done('end-of-chain', `return address of ${fn} is zero (outermost frame)`);
      if (!input.isCode(ra)) return done('return-address-outside-code', `return address ${hex(ra)} of ${fn} (${cfaText(row)}, ${row.section}) is outside every executable segment`);
      if (ra === cur.pc && sp === r.cfa) return done('sp-not-increasing', `${fn} unwinds to itself (same pc and CFA)`);
      const regs = callerRegs(cur, r);
      const fp = regs.get(dw.fp) ?? cur.fp;
      const rule = row.section === 'prologue' ? 'prologue' : 'cfi';
      frames.push({ index: frames.length, pc: ra, rule, fp, where: rule === 'prologue' ? `${cfaText(row)}, from its prologue` : `${cfaText(row)}, ${row.section}` });
      if (outermost(ra - 1n)) return done('reached-main', 'reached main');
      cur = { index: frames.length - 1, pc: ra, fp, regs };
      continue;
    }
    const fp = cur.fp;
    if (cur.index > 0 && input.cfi && !row) {
      // No call frame information here. A function whose prologue sets up no frame record
      // leaves fp as whatever its caller's callee had in it: following it would be a guess.
      const func = input.functionAt(cur.pc - 1n);
      const fctx: Frame0Context = { ...ctx, pc: cur.pc, sp: cur.regs?.get(dw.sp) ?? 0n, fp, func };
      if (func && !arch.hasFrameRecord(fctx)) {
        return done('no-unwind-info', `frame #${cur.index} (${hex(cur.pc)}) has no call frame information and its function sets up no frame record, so its caller cannot be found without guessing`);
      }
    }
    if (fp === 0n) return done('null-fp', 'frame pointer is zero');
    if (fp % BigInt(ptr) !== 0n) return done('misaligned-fp', `frame pointer ${hex(fp)} is not ${ptr}-byte aligned`);
    const recCallerFp = fp + BigInt(arch.record.callerFp);
    const recRa = fp + BigInt(arch.record.returnAddress);
    const callerFp = readPtr(recCallerFp);
    const ra = readPtr(recRa);
    if (callerFp === null || ra === null) {
      return done('unreadable-record', `frame record at ${hex(fp < recCallerFp ? fp : recCallerFp)} (fp ${hex(fp)}) is not readable`);
    }
    if (ra === 0n) return done('end-of-chain', `return address in the record at fp ${hex(fp)} is zero (outermost frame)`);
    if (!input.isCode(ra)) return done('return-address-outside-code', `return address ${hex(ra)} in the record at fp ${hex(fp)} is outside every executable segment`);
    frames.push({ index: frames.length, pc: ra, rule: 'frame-record', fp: callerFp, recordAt: fp });
    if (outermost(ra - 1n)) return done('reached-main', 'reached main');
    if (callerFp !== 0n && callerFp <= fp) {
      return done('fp-not-increasing', `caller's frame pointer ${hex(callerFp)} is not above ${hex(fp)} (stack grows down)`);
    }
    // With CFI for this frame the caller's registers are known too (sp = CFA); without it
    // only fp is, and the rest of the walk follows records.
    let regs: Map<number, bigint> | null = null;
    if (row) {
      const r = step(row, cur);
      if (!('error' in r) && r.returnAddress === ra) regs = callerRegs(cur, r);
    }
    cur = { index: frames.length - 1, pc: ra, fp: callerFp, regs };
  }
  return done('truncated', `backtrace truncated at ${max} frames`);
}
