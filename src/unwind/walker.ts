// The walker: one loop for every arch, driven by the arch table's record layout, frame-0
// rule and DWARF register numbers, reading guest memory only through `read`.
//
// Frame #0 is where the guest stopped; every later frame is a return address. Each frame,
// frame #0 included, is unwound by the best evidence there is for its pc, in a fixed order
// (as gdb's frame sniffers are, frame-unwind.c):
//
//   1. its call frame information: the CFI row at pc (.eh_frame or .debug_frame). For
//      frame #0 only (a caller is always at a call site, where CFI is exact), the row is
//      checked against the code: where the code from pc to the function's return
//      (./epilogue.ts), or from its entry to pc along the one entry path (./prologue.ts),
//      proves another caller pc or CFA, the row is stale there (clang 14's
//      RISC-V epilogues, its synchronous AArch64 tables) and the code's row is used;
//   2. else the row its decoded prologue implies at pc (src/unwind/prologue.ts), when every
//      path from the function's start to pc agrees;
//   3. else heuristics: for frame #0, the start-bytes rule (before its function's
//      frame-setup instruction the return address is still in the link register or at
//      [sp]); then the frame record fp points at, when the function's start bytes set one
//      up by pc.
//
// Weaker evidence never overrides stronger: a frame whose CFI or prologue says it keeps no
// frame record is never unwound through fp, whatever fp holds. The caller's registers are
// carried across every rule: what the rule recovers (sp = the CFA, the saved registers),
// everything else as the callee left it (DWARF's default for callee-saved registers), so a
// frame found by one rule can be unwound by another. Callers are looked up at their return
// address minus one (the call, not what follows it: a noreturn call may be a function's
// last instruction), frame #0 and a frame a signal interrupted at pc itself.
//
// Between a frame its CFI unwound and its caller come gdb's tail-call frames: functions
// that are not on the stack because they tail-called their way from the caller to this
// frame's function, found from DWARF call-site records (./tailcall.ts).
//
// The walk is complete when it reaches main, a frame its CFI marks outermost (the return
// address column undefined, as _start's is), the function the ELF's entry point is in
// (where the process began; gdb stops there too), or a zero return address that CFI or the
// code's analysis gives (start-up code clears the link register where the stack ends).
// Anything else ends it incomplete with the reason: a null, misaligned or non-increasing
// frame pointer, an unreadable slot, a return address outside the program's code, a frame
// no evidence can unwind. It never guesses a return address by scanning the stack.

import type { Arch } from '../arch/index.js';
import type { Frame0Context } from '../arch/types.js';
import { unwindStep, type CfiRow } from './cfi.js';

export const MAX_FRAMES = 256;

export type FrameRule = 'fault' | 'frame-record' | 'link-register' | 'stack-slot' | 'cfi' | 'prologue' | 'epilogue' | 'tailcall';

/**
 * Which evidence found a frame (see the file comment): the stop itself, CFI, prologue
 * analysis, epilogue analysis (frame #0's CFI row contradicted by the code from pc to the
 * return), a heuristic, or DWARF call-site records (a tail-call frame, not on the stack).
 */
export type Evidence = 'stop' | 'cfi' | 'prologue' | 'epilogue' | 'heuristic' | 'tailcall';

export interface RawFrame {
  index: number;
  pc: bigint;
  /** Where the return address was read: the stop (frame #0), a frame record, the link register, a stack slot, or elsewhere by CFI or prologue rows. */
  rule: FrameRule;
  /** The evidence that unwound the callee to find this frame. */
  evidence: Evidence;
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
  | 'return-address-lost'
  | 'not-a-return-address'
  | 'no-unwind-info'
  | 'outermost'
  | 'truncated';

export interface WalkStop {
  reason: StopReason;
  /** True when the walk ended where a trace ends: at main, or at a frame its CFI marks outermost. */
  complete: boolean;
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
  /** The function containing addr (symbols, else an FDE's range), for the start-bytes rule. */
  functionAt(addr: bigint): { start: bigint; end: bigint } | null;
  /** True for a pc in the function the trace ends at (main); its frame is the last. */
  isOutermost?(pc: bigint): boolean;
  /**
   * True for a pc in the function the ELF's entry point is in (_start): the process began
   * there, nothing called it, so its frame is the last (gdb: inside_entry_func).
   */
  isEntry?(pc: bigint): boolean;
  maxFrames?: number;
  /** Call frame information (src/unwind/cfi.ts), looked up by pc, when the program has any. */
  cfi?: { rowAt(pc: bigint): CfiRow | null };
  /**
   * The row a function's decoded prologue implies at pc (src/unwind/prologue.ts); null when
   * it cannot be decoded with certainty. Asked only where there is no CFI row.
   */
  prologueRowAt?(pc: bigint): CfiRow | null;
  /**
   * Frame #0's check of its CFI row against its code (./object.ts codeRowAt): the row the
   * code from pc to the return (epilogue), or from the entry to pc (prologue), proves.
   */
  codeRowAt?(pc: bigint): { row: CfiRow; evidence: 'epilogue' | 'prologue' } | null;
  /**
   * The tail-call frames between a callee whose CFI unwound it (looked up at calleePc: pc,
   * or a return address - 1) and its caller (returning to callerPc), innermost first: the
   * pcs gdb gives them (./tailcall.ts). Empty when there are none or they are ambiguous.
   */
  tailCalls?(callerPc: bigint, calleePc: bigint): bigint[];
  /**
   * Whether the instruction before addr is a call. A return address that prologue analysis
   * or a heuristic found must follow one; CFI's are trusted.
   */
  followsCall?(addr: bigint): boolean;
  /** Frame #0's registers by DWARF number; without them only pc, sp, fp and the link register are known. */
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
  /** Registers by DWARF number; a register absent from the map is not known. */
  regs: Map<number, bigint>;
  /** Look up evidence at pc itself (frame #0, a frame a signal interrupted), not at pc - 1. */
  exact: boolean;
}

/** How one frame was unwound: the caller's state and how the report names the step. */
interface Step {
  ra: bigint;
  regs: Map<number, bigint>;
  rule: FrameRule;
  evidence: Evidence;
  where?: string;
  recordAt?: bigint;
  /** The caller is a frame a signal interrupted (its CFI row is a signal frame's). */
  exact?: boolean;
}

type Outcome = { step: Step } | { stop: WalkStop } | null;

export function walk(input: WalkInput): WalkResult {
  const { arch } = input;
  const ptr = arch.ptrSize;
  const max = input.maxFrames ?? MAX_FRAMES;
  const outermost = input.isOutermost ?? (() => false);
  const readPtr = (a: bigint) => readPointer(input.read, a, ptr);
  const dw = arch.dwarf;
  const regName = (n: number) => dw.regs.find((r) => r.dwarf === n)?.name ?? `r${n}`;
  const linkDwarf = dw.regs.find((r) => r.id === arch.regs.link)?.dwarf;
  const frames: RawFrame[] = [{ index: 0, pc: input.pc, rule: 'fault', evidence: 'stop', fp: input.fp }];
  const stop = (reason: StopReason, detail: string, complete = false): WalkStop => ({ reason, detail, complete });
  const done = (s: WalkStop): WalkResult => ({ frames, stop: s });

  if (outermost(input.pc)) return done(stop('reached-main', 'reached main', true));
  if (input.isEntry?.(input.pc)) return done(stop('outermost', `frame #0 (${hex(input.pc)}) is in the function the program's entry point is in, where the process began`, true));

  const regs0 = new Map(input.registers0 ?? []);
  regs0.set(dw.sp, input.sp);
  regs0.set(dw.fp, input.fp);
  if (input.link !== undefined && linkDwarf !== undefined) regs0.set(linkDwarf, input.link);
  let cur: State = { index: 0, pc: input.pc, regs: regs0, exact: true };

  const cfaText = (row: CfiRow) =>
    row.cfa.kind === 'reg' ? `CFA = ${regName(row.cfa.reg)}${row.cfa.offset >= 0n ? '+' : '-'}${row.cfa.offset < 0n ? -row.cfa.offset : row.cfa.offset}` : 'CFA = expression';
  /** Whether the row says the frame keeps the psABI frame record at fp (CFA = fp + k, return address and caller fp saved in the record's slots). */
  const rowMatchesRecord = (row: CfiRow): boolean => {
    if (row.cfa.kind !== 'reg' || row.cfa.reg !== dw.fp) return false;
    const k = row.cfa.offset;
    const ra = row.regs.get(row.returnColumn);
    const fp = row.regs.get(dw.fp);
    return ra?.kind === 'offset' && fp?.kind === 'offset' && k + ra.offset === BigInt(arch.record.returnAddress) && k + fp.offset === BigInt(arch.record.callerFp);
  };
  const name = (s: State) => `frame #${s.index} (${hex(s.pc)})`;

  /** Unwind by a CFI or prologue row. Null when the row needs a register the walk does not know (weaker evidence may then try). */
  const byRow = (s: State, row: CfiRow, evidence: 'cfi' | 'prologue' | 'epilogue'): Outcome => {
    const sp0 = s.regs.get(dw.sp);
    const base = row.cfa.kind === 'reg' ? s.regs.get(row.cfa.reg) : undefined;
    if (row.cfa.kind === 'reg' && row.cfa.reg === dw.fp && base !== undefined && sp0 !== undefined && base + row.cfa.offset < sp0) {
      // The frame's CFA is fp-based and fp points below its own frame: the record fp was
      // restored from is corrupt (a smashed stack), not a frame to read.
      return { stop: stop('fp-not-increasing', `caller's frame pointer ${hex(base)} is not above ${hex(sp0)} (stack grows down)`) };
    }
    const r = unwindStep(row, { get: (n) => s.regs.get(n) }, readPtr, ptr);
    const src = evidence === 'cfi' ? row.section : `from its ${evidence}`;
    if ('error' in r) {
      if (/undefined: outermost frame/.test(r.error)) {
        return { stop: stop('outermost', `${name(s)} is the outermost frame (its call frame information leaves the return address undefined)`, evidence === 'cfi') };
      }
      if (/unknown/.test(r.error)) return null;
      return { stop: stop('no-unwind-info', `${name(s)}: its ${evidence === 'cfi' ? `call frame information (${row.section})` : `${evidence} row`} cannot be applied: ${r.error}`) };
    }
    const regs = new Map(s.regs);
    for (const [reg, rule] of row.regs) if (rule.kind === 'undefined') regs.delete(reg);
    for (const [k, v] of r.regs) regs.set(k, v);
    regs.set(dw.sp, r.cfa);
    const sp = s.regs.get(dw.sp);
    if (sp !== undefined && r.cfa < sp) return { stop: stop('sp-not-increasing', `${name(s)}: the CFA ${hex(r.cfa)} from its ${evidence === 'cfi' ? 'call frame information' : evidence} is below its sp ${hex(sp)}`) };
    const raRule = row.regs.get(row.returnColumn);
    if (s.index > 0 && !raRule && r.returnAddress === s.pc) {
      // The row keeps the return address in its register, but this frame is a caller: its
      // own call wrote that register (a function that only calls what never returns saves
      // no return address). What it held before is gone.
      return { stop: stop('return-address-lost', `${name(s)} keeps its return address in ${regName(row.returnColumn)} (${cfaText(row)}, ${src}), which its own call overwrote (a call to a function that does not return): its caller cannot be known`) };
    }
    if (r.returnAddress === s.pc && sp === r.cfa) return { stop: stop('sp-not-increasing', `${name(s)} unwinds to itself (same pc and CFA)`) };
    const step: Step = { ra: r.returnAddress, regs, rule: evidence, evidence, where: `${cfaText(row)}, ${src}` };
    // Name the common shapes as the frame-pointer walk would: the row vouches for them.
    if (rowMatchesRecord(row)) {
      const fp = s.regs.get(dw.fp)!;
      Object.assign(step, { rule: 'frame-record', recordAt: fp, where: `the frame record at fp ${hex(fp)} (${cfaText(row)}, ${src})` });
    } else if (s.index === 0 && !raRule && linkDwarf !== undefined && row.returnColumn === linkDwarf) {
      Object.assign(step, { rule: 'link-register', where: `${regName(linkDwarf)} (${cfaText(row)}, ${src})` });
    } else if (s.index === 0 && raRule?.kind === 'offset' && row.cfa.kind === 'reg' && row.cfa.reg === dw.sp && row.cfa.offset + raRule.offset === 0n) {
      Object.assign(step, { rule: 'stack-slot', where: `[${regName(dw.sp)}] (${cfaText(row)}, ${src})` });
    }
    if (row.signalFrame) step.exact = true;
    return { step };
  };

  /** The heuristics, for a frame neither CFI nor its prologue can unwind. */
  const byHeuristic = (s: State): Outcome => {
    const sp = s.regs.get(dw.sp);
    const fp = s.regs.get(dw.fp);
    const func = input.functionAt(s.exact ? s.pc : s.pc - 1n);
    const ctx: Frame0Context = {
      pc: s.pc,
      sp: sp ?? 0n,
      fp: fp ?? 0n,
      link: linkDwarf === undefined ? undefined : s.regs.get(linkDwarf),
      func,
      isCode: input.isCode,
      readPtr,
      readBytes: (a, n) => (a < 0n ? null : input.read(a, n)),
    };
    if (s.index === 0) {
      // The start-bytes rule: before its function's frame-setup instruction (or in no
      // function at all: a call through a bad pointer) the return address is where the
      // call left it.
      const c = arch.frame0Caller(ctx);
      if (c && (c.rule === 'link-register' || sp !== undefined)) {
        const regs = new Map(s.regs);
        if (c.rule === 'stack-slot') regs.set(dw.sp, sp! + BigInt(ptr));
        return { step: { ra: c.returnAddress, regs, rule: c.rule, evidence: 'heuristic', where: c.where } };
      }
    }
    // The frame record, when the function's start bytes set one up by pc.
    if (func && !arch.hasFrameRecord({ ...ctx, pc: s.exact ? s.pc : s.pc - 1n })) {
      return { stop: stop('no-unwind-info', `${name(s)} has no call frame information, its prologue cannot be decoded with certainty and it sets up no frame record, so its caller cannot be found without guessing`) };
    }
    if (fp === undefined) return { stop: stop('no-unwind-info', `${name(s)} has no call frame information and its frame pointer is not known`) };
    if (fp === 0n) return { stop: stop('null-fp', `${name(s)} has no call frame information and its frame pointer is zero`) };
    if (fp % BigInt(ptr) !== 0n) return { stop: stop('misaligned-fp', `frame pointer ${hex(fp)} of ${name(s)} is not ${ptr}-byte aligned`) };
    if (sp !== undefined && fp < sp) return { stop: stop('fp-not-increasing', `frame pointer ${hex(fp)} of ${name(s)} is below its sp ${hex(sp)}: not a record of this frame`) };
    const recCallerFp = fp + BigInt(arch.record.callerFp);
    const recRa = fp + BigInt(arch.record.returnAddress);
    const callerFp = readPtr(recCallerFp);
    const ra = readPtr(recRa);
    if (callerFp === null || ra === null) {
      return { stop: stop('unreadable-record', `frame record at ${hex(fp < recCallerFp ? fp : recCallerFp)} (fp ${hex(fp)}) is not readable`) };
    }
    const regs = new Map(s.regs);
    regs.set(dw.fp, callerFp);
    if (arch.record.cfaFromFp !== undefined) regs.set(dw.sp, fp + BigInt(arch.record.cfaFromFp));
    else regs.delete(dw.sp);
    return { step: { ra, regs, rule: 'frame-record', evidence: 'heuristic', recordAt: fp, where: `the frame record at fp ${hex(fp)} (no call frame information; its start bytes set up a record)` } };
  };

  /**
   * Frame #0's CFI row checked against its code: where the code from pc to the return (or
   * from the entry to pc) proves another caller pc or CFA than the row gives, the row
   * describes a frame layout that is not the one at pc (stale, see ./epilogue.ts) and the
   * code's row is used. Where they agree, or the code proves nothing, the CFI stands. Saved
   * register values are not compared: a program that overwrote its own save slot (a stack
   * smash) has not made its CFI stale, and the CFI then shows what the slot holds.
   */
  const checkedAgainstCode = (s: State, row: CfiRow, out: Outcome): Outcome => {
    if (row.signalFrame || (out && 'stop' in out && out.stop.reason === 'outermost')) return out;
    const code = input.codeRowAt?.(s.pc);
    if (!code) return out;
    const alt = byRow(s, code.row, code.evidence);
    if (!alt || !('step' in alt)) return out;
    if (out && 'step' in out) {
      const a = out.step;
      const b = alt.step;
      if (a.ra === b.ra && a.regs.get(dw.sp) === b.regs.get(dw.sp)) return out;
    }
    alt.step.where += `; its call frame information (${cfaText(row)}, ${row.section}) is stale at this pc`;
    return alt;
  };

  while (frames.length < max) {
    const at = cur.exact ? cur.pc : cur.pc - 1n;
    const row = input.cfi?.rowAt(at) ?? null;
    const prow = row ? null : input.prologueRowAt?.(at) ?? null;
    let out: Outcome = row ? byRow(cur, row, 'cfi') : prow ? byRow(cur, prow, 'prologue') : null;
    if (row && cur.index === 0) out = checkedAgainstCode(cur, row, out);
    if (!out) {
      // Evidence that says this frame keeps no record at fp forbids following fp.
      const ev = row ?? prow;
      if (ev && !rowMatchesRecord(ev)) {
        const what = row ? `call frame information (${row.section}, ${cfaText(row)})` : `prologue (${cfaText(prow!)})`;
        return done(stop('no-unwind-info', `${name(cur)}: its ${what} needs a register the walk no longer knows, and says it keeps no frame record to follow instead`));
      }
      out = byHeuristic(cur);
    }
    if (!out) return done(stop('no-unwind-info', `${name(cur)} cannot be unwound`));
    if ('stop' in out) return done(out.stop);
    const st = out.step;
    const ra = st.ra;
    if (ra === 0n) {
      // Process start-up leaves a zero return address where the stack ends (musl's _start
      // clears the link register before it branches on; the kernel starts a thread so): read
      // by CFI or the code's own analysis it is the end, not a lost trail. A zero in a
      // frame record the heuristic found proves nothing.
      const proven = st.evidence !== 'heuristic';
      return done(stop('end-of-chain', `the return address of ${name(cur)} (${st.where}) is zero${proven ? ': the end of the stack' : ''}`, proven));
    }
    if (!input.isCode(ra)) return done(stop('return-address-outside-code', `the return address ${hex(ra)} of ${name(cur)} (${st.where}) is outside every executable segment`));
    if ((st.evidence === 'prologue' || st.evidence === 'heuristic') && !st.exact && input.followsCall && !input.followsCall(ra)) {
      return done(stop('not-a-return-address', `${hex(ra)}, which the ${st.evidence === 'prologue' ? 'prologue analysis' : 'heuristic'} of ${name(cur)} gives as its return address (${st.where}), does not follow a call instruction`));
    }
    // gdb's tail-call frames: functions that tail-called their way from the caller to this
    // frame's function, found by DWARF call-site records, for a frame its CFI unwound.
    if (row && input.tailCalls) {
      for (const pc of input.tailCalls(ra, at)) {
        if (frames.length >= max - 1) break;
        frames.push({ index: frames.length, pc, rule: 'tailcall', evidence: 'tailcall', fp: null, where: `a tail call (DW_TAG_call_site at ${hex(pc)}, DW_AT_call_tail_call)` });
      }
    }
    const fp = st.regs.get(dw.fp) ?? null;
    const frame: RawFrame = { index: frames.length, pc: ra, rule: st.rule, evidence: st.evidence, fp };
    if (st.recordAt !== undefined) frame.recordAt = st.recordAt;
    if (st.where) frame.where = st.where;
    frames.push(frame);
    const callerAt = st.exact ? ra : ra - 1n;
    if (outermost(callerAt)) return done(stop('reached-main', 'reached main', true));
    if (input.isEntry?.(callerAt)) return done(stop('outermost', `frame #${frame.index} (${hex(ra)}) is in the function the program's entry point is in, where the process began`, true));
    if (st.rule === 'frame-record' && st.evidence === 'heuristic') {
      const calleeFp = st.recordAt!;
      if (fp !== null && fp !== 0n && fp <= calleeFp) {
        return done(stop('fp-not-increasing', `caller's frame pointer ${hex(fp)} is not above ${hex(calleeFp)} (stack grows down)`));
      }
    }
    cur = { index: frames.length - 1, pc: ra, regs: st.regs, exact: !!st.exact };
  }
  return done(stop('truncated', `backtrace truncated at ${max} frames`));
}
