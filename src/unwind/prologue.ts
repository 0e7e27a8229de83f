// Prologue analysis: the CFI row a function's own code implies at a pc, for functions that
// have no FDE (glibc rv64 `abort`, all of musl on x86-64).
//
// Like gdb's prologue analyzers (riscv_scan_prologue, aarch64_analyze_prologue,
// amd64_analyze_prologue) the code is decoded from the function's start, but nothing is
// guessed: instead of assuming that the frame, once set up, stays put for the rest of the
// function, every instruction between the start and pc is decoded and interpreted over a
// small abstract domain, along every control-flow edge that can be seen:
//
//   * each integer register holds a known constant, "CFA + k", "the caller's value of
//     register r" (what it held at entry), or something unknown;
//   * stack slots at known CFA offsets hold such values too (stores through sp, fp or any
//     register whose value is CFA + k);
//   * a conditional branch, a jump and a fall-through carry their state to their target;
//     where states meet (a branch target, a loop head) only what all of them agree on is
//     kept (sp stays known only when every path gives the same offset);
//   * a call keeps sp and the callee-saved registers and forgets the caller-saved ones (and
//     the link register: `bl`/`jal` write it).
//
// At pc, the row says CFA = sp + K when sp is known (else fp + K when fp is), each
// callee-saved register and the return address that no longer hold the caller's value is
// found in a stack slot holding it ('offset' rule) or in another register ('register'), and
// one that was overwritten without being saved anywhere is 'undefined' (the return address
// being lost gives null: the frame cannot be unwound). So a row is exact for every path
// from the function's start to pc that the decoded code shows.
//
// An instruction whose effect is not understood makes everything unknown from there on
// (so pc after it on that path gives null); one whose length is not known ends the
// decoding (pc after it gives null). Conservative choices that are still assumptions,
// shared with every CFI producer: stores whose address cannot be resolved (through an
// unknown pointer, or with an index register) do not hit the frame's save slots; control
// does not enter the code at pc from instructions that were not decoded (bytes past the
// `code` given); every instruction has a single frame state whatever path reaches it (the
// property CFI itself relies on: one row per pc), so an indirect jump that is not a return
// (a switch table, or a tail call: the two look alike) only matters where no plain
// fall-through or direct branch leads (it may land on any such instruction of the body, but
// not in the straight-line code at the start, nor on alignment padding: no-ops after an
// instruction that does not fall through); and the return address is not changed behind
// our back.
// Floating-point and vector registers are not tracked (their callee-saved halves get no
// rules). A call falls through (it is not known which callees return), so code after a call
// to a noreturn function is merged with whatever else reaches it: safe, if less precise.
// A `.cold` fragment (GCC's hot/cold splitting) is entered with its parent's frame set up:
// its start is not a function entry, and analysing from it gives wrong rows.
//
// Encodings: RISC-V unprivileged ISA (RV32/64 IMAFDC, Zicsr, Zifencei); Arm ARM A64 (base
// instructions, loads and stores, FP/AdvSIMD moves to general registers; SVE/SME are not
// understood); Intel SDM vol. 2 (legacy and REX, 0F/0F38/0F3A maps, VEX and EVEX lengths).

import type { CfiRow, RegRule } from './cfi.js';
import { decodeA64 } from './isa/aarch64.js';
import { ZR, range, type Addr, type DecodedInsn, type Expr, type Insn } from './isa/insn.js';
import { decodeRv } from './isa/riscv.js';
import { decodeX86 } from './isa/x86.js';

export type { DecodedInsn, Flow } from './isa/insn.js';

export type PrologueArch = 'x86-64' | 'aarch64' | 'rv32' | 'rv64';

/**
 * The CFI row a function's prologue implies at `pc`, from its code bytes starting at `funcStart`
 * (code = bytes from funcStart up to at least pc; may be longer). Null when the prologue
 * (the instructions from funcStart up to pc, or up to the first branch/call/return, whichever
 * comes first) cannot be decoded with certainty.
 * section: 'prologue'. returnColumn: x86-64 16, aarch64 30, RISC-V 1. DWARF reg numbers:
 * x86-64 rax0 rdx1 rcx2 rbx3 rsi4 rdi5 rbp6 rsp7 r8-r15 8-15; aarch64 x0-x30 0-30, sp 31;
 * RISC-V x0-x31 0-31 (ra 1, sp 2, s0 8).
 *
 * Past the first branch the answer is still exact when the code between the start and pc
 * shows how sp and the saves got there along every path (see the file comment); when the
 * paths disagree, or pass an instruction not understood, it is null. `code` must hold the
 * instruction containing pc (pc may be a return address - 1); at an instruction boundary,
 * the bytes up to pc are enough. Passing the whole function is best: edges from code past
 * pc (loops, jumps back) are then seen too.
 */
export function analyzePrologue(arch: PrologueArch, code: Uint8Array, funcStart: bigint, pc: bigint): CfiRow | null {
  return analyzeFunction(arch, code, funcStart).rowAt(pc);
}

/** What is known about the frame at one pc (for tests and reports). Offsets are from the CFA. */
export interface FrameState {
  /** sp = CFA + sp; null when unknown. */
  sp: bigint | null;
  /** The frame pointer register (rbp, x29, s0) = CFA + fp; null when it holds anything else. */
  fp: bigint | null;
  /** Callee-saved registers and the return address (DWARF numbers) that still hold the caller's value. */
  inPlace: Set<number>;
  /** For each of them saved on the stack: the slot (nearest the CFA) that holds the caller's value. */
  slots: Map<number, bigint>;
}

export interface FunctionAnalysis {
  /** The instructions decoded from funcStart, in address order (decoding stops at the first whose length is unknown). */
  readonly insns: readonly DecodedInsn[];
  /** The row at pc, as analyzePrologue gives it. */
  rowAt(pc: bigint): CfiRow | null;
  /** sp and fp relative to the CFA at pc; null when pc is not reached or not decoded. */
  stateAt(pc: bigint): FrameState | null;
  /**
   * Whether pc is on the function's entry path: every instruction from the start to pc falls
   * through to the next (conditional branches included, calls not) and none of them, nor
   * the one at pc, is the target of any branch or jump. There the row is the state of the
   * one path from the entry, not a meet of several.
   */
  onEntryPath(pc: bigint): boolean;
}

// ---------------------------------------------------------------------------------------
// The abstract machine.

/** A register or memory value. Absent from a map = unknown. */
type Val = { k: 'c'; v: bigint } | { k: 'cfa'; off: bigint } | { k: 'entry'; reg: number };

interface State {
  regs: Map<number, Val>;
  mem: Map<bigint, Val>;
  /** AArch64: the return address in x30 / its slot is PAC-signed; null = unknown. */
  raSigned: boolean | null;
}

/** The facts about one ISA that the analyses of its code share (this file, ./epilogue.ts). */
export interface ArchInfo {
  xlen: 32 | 64;
  sp: number;
  fp: number;
  ra: number;
  /** Callee-saved integer registers (DWARF numbers), fp included, ra not. */
  calleeSaved: number[];
  /** Written by a call (or not preserved across one). */
  callerSaved: number[];
  /** sp at entry, relative to the CFA. */
  entrySp: bigint;
  /** x86-64: the return address is in memory at CFA-8 at entry, not in a register. */
  raInMemory: boolean;
  decode(code: Uint8Array, at: number, addr: bigint): Insn | null;
}


export const ARCHES: Readonly<Record<PrologueArch, ArchInfo>> = {
  'x86-64': {
    xlen: 64, sp: 7, fp: 6, ra: 16, calleeSaved: [3, 6, 12, 13, 14, 15], callerSaved: [0, 1, 2, 4, 5, 8, 9, 10, 11],
    entrySp: -8n, raInMemory: true, decode: (c, at, a) => decodeX86(c, at, a),
  },
  aarch64: {
    xlen: 64, sp: 31, fp: 29, ra: 30, calleeSaved: range(19, 29), callerSaved: [...range(0, 18), 30],
    entrySp: 0n, raInMemory: false, decode: (c, at, a) => decodeA64(c, at, a),
  },
  rv32: {
    xlen: 32, sp: 2, fp: 8, ra: 1, calleeSaved: [8, 9, ...range(18, 27)], callerSaved: [1, 5, 6, 7, ...range(10, 17), ...range(28, 31)],
    entrySp: 0n, raInMemory: false, decode: (c, at, a) => decodeRv(c, at, a, 32),
  },
  rv64: {
    xlen: 64, sp: 2, fp: 8, ra: 1, calleeSaved: [8, 9, ...range(18, 27)], callerSaved: [1, 5, 6, 7, ...range(10, 17), ...range(28, 31)],
    entrySp: 0n, raInMemory: false, decode: (c, at, a) => decodeRv(c, at, a, 64),
  },
};

const valEq = (a: Val | undefined, b: Val | undefined): boolean => {
  if (!a || !b) return a === b;
  if (a.k !== b.k) return false;
  switch (a.k) {
    case 'c': return a.v === (b as typeof a).v;
    case 'cfa': return a.off === (b as typeof a).off;
    case 'entry': return a.reg === (b as typeof a).reg;
  }
};

function mapMeet<K>(a: Map<K, Val>, b: Map<K, Val>): Map<K, Val> {
  const out = new Map<K, Val>();
  for (const [k, v] of a) if (valEq(v, b.get(k))) out.set(k, v);
  return out;
}

function meet(a: State, b: State): State {
  return { regs: mapMeet(a.regs, b.regs), mem: mapMeet(a.mem, b.mem), raSigned: a.raSigned === b.raSigned ? a.raSigned : null };
}

function stateEq(a: State, b: State): boolean {
  if (a.raSigned !== b.raSigned || a.regs.size !== b.regs.size || a.mem.size !== b.mem.size) return false;
  for (const [k, v] of a.regs) if (!valEq(v, b.regs.get(k))) return false;
  for (const [k, v] of a.mem) if (!valEq(v, b.mem.get(k))) return false;
  return true;
}

class Machine {
  readonly mask: bigint;
  readonly ptr: number;
  constructor(readonly arch: ArchInfo) {
    this.mask = (1n << BigInt(arch.xlen)) - 1n;
    this.ptr = arch.xlen / 8;
  }

  entryState(): State {
    const a = this.arch;
    const regs = new Map<number, Val>();
    regs.set(a.sp, { k: 'cfa', off: a.entrySp });
    for (const r of a.calleeSaved) regs.set(r, { k: 'entry', reg: r });
    const mem = new Map<bigint, Val>();
    if (a.raInMemory) mem.set(-8n, { k: 'entry', reg: a.ra });
    else regs.set(a.ra, { k: 'entry', reg: a.ra });
    return { regs, mem, raSigned: false };
  }

  private get(s: State, r: number): Val | undefined {
    if (r === ZR) return { k: 'c', v: 0n };
    return s.regs.get(r);
  }

  /** a + b where b is a constant (signed). */
  private addConst(a: Val | undefined, b: bigint): Val | undefined {
    if (!a) return undefined;
    if (a.k === 'c') return { k: 'c', v: (a.v + b) & this.mask };
    if (a.k === 'cfa') return { k: 'cfa', off: a.off + b };
    return undefined;
  }

  private signed(v: bigint): bigint {
    return BigInt.asIntN(this.arch.xlen, v);
  }

  private addrKey(s: State, addr: Addr): bigint | null {
    if (!addr) return null;
    const b = this.get(s, addr.base);
    return b && b.k === 'cfa' ? b.off + addr.off : null;
  }

  private evalExpr(s: State, e: Expr): Val | undefined {
    switch (e.k) {
      case 'c': return { k: 'c', v: e.v & this.mask };
      case 'unk': return undefined;
      case 'reg': return e.add === 0n ? this.get(s, e.r) : this.addConst(this.get(s, e.r), e.add);
      case 'reg2': {
        const a = this.get(s, e.a);
        const b = this.get(s, e.b);
        if (b?.k === 'c') {
          const d = this.signed((b.v << BigInt(e.shift)) & this.mask);
          return this.addConst(a, e.neg ? -d : d);
        }
        if (!e.neg && e.shift === 0 && a?.k === 'c') return this.addConst(b, this.signed(a.v));
        return undefined;
      }
      case 'load': {
        const key = this.addrKey(s, e.addr);
        if (key === null || e.size !== this.ptr) return undefined;
        return s.mem.get(key);
      }
      case 'movk': {
        const v = this.get(s, e.r);
        return v?.k === 'c' ? { k: 'c', v: (v.v & e.keep) | e.imm } : undefined;
      }
    }
  }

  /** The state after `insn` (a new object; `s` is not changed). */
  step(s: State, insn: Insn): State {
    const out: State = { regs: new Map(s.regs), mem: new Map(s.mem), raSigned: s.raSigned };
    for (const op of insn.ops) {
      switch (op.o) {
        case 'havoc':
          return { regs: new Map(), mem: new Map(), raSigned: null };
        case 'set': {
          if (op.rd === ZR) break;
          let v = this.evalExpr(out, op.e);
          if (op.ext && this.arch.xlen === 64) {
            if (v?.k === 'c') {
              const lo = v.v & 0xffff_ffffn;
              v = { k: 'c', v: op.ext === 'z' ? lo : BigInt.asUintN(64, BigInt.asIntN(32, lo)) };
            } else v = undefined;
          }
          if (v) out.regs.set(op.rd, v);
          else out.regs.delete(op.rd);
          break;
        }
        case 'store': {
          const key = this.addrKey(out, op.addr);
          if (key === null) break; // assumed not to hit a save slot
          const size = BigInt(op.size);
          for (const k of [...out.mem.keys()]) if (k < key + size && key < k + BigInt(this.ptr)) out.mem.delete(k);
          const v = op.size === this.ptr ? this.evalExpr(out, op.e) : undefined;
          if (v) out.mem.set(key, v);
          break;
        }
        case 'call': {
          for (const r of this.arch.callerSaved) out.regs.delete(r);
          // The callee's frame (and, on x86-64, the return address it was given) is below sp.
          const sp = out.regs.get(this.arch.sp);
          if (sp?.k === 'cfa') for (const k of [...out.mem.keys()]) if (k < sp.off) out.mem.delete(k);
          break;
        }
        case 'pac':
          if (out.raSigned !== null) out.raSigned = op.sign;
          break;
      }
    }
    return out;
  }

  /** The row a state describes, or null when the CFA or the return address is not known. */
  row(s: State, rowStart: bigint, fdeStart: bigint, fdeEnd: bigint): CfiRow | null {
    const a = this.arch;
    if (s.raSigned === null) return null;
    const sp = s.regs.get(a.sp);
    const fp = s.regs.get(a.fp);
    let cfa: CfiRow['cfa'];
    if (sp?.k === 'cfa') cfa = { kind: 'reg', reg: a.sp, offset: -sp.off };
    else if (fp?.k === 'cfa') cfa = { kind: 'reg', reg: a.fp, offset: -fp.off };
    else return null;
    const regs = new Map<number, RegRule>();
    for (const r of [...a.calleeSaved, a.ra]) {
      const rule = this.ruleFor(s, r);
      if (rule === 'same') continue;
      if (rule.kind === 'undefined' && r === a.ra) return null;
      regs.set(r, rule);
    }
    const row: CfiRow = { fdeStart, fdeEnd, rowStart, cfa, regs, returnColumn: a.ra, signalFrame: false, section: 'prologue' };
    if (s.raSigned) row.raSigned = true;
    return row;
  }

  /** Whether r still holds the caller's value. */
  inPlace(s: State, r: number): boolean {
    if (r === this.arch.ra && this.arch.raInMemory) return false;
    const v = s.regs.get(r);
    return v?.k === 'entry' && v.reg === r;
  }

  /** The stack slot nearest the CFA that holds the caller's value of r, or null. */
  slotOf(s: State, r: number): bigint | null {
    let best: bigint | null = null;
    for (const [k, v] of s.mem) if (v.k === 'entry' && v.reg === r && (best === null || k > best)) best = k;
    return best;
  }

  /**
   * Where the caller's value of r is: a save slot at or above sp (saved so far, as CFI says
   * it from the save on), else the register itself ('same'; also after it was reloaded and
   * its slot popped), else a slot below sp, else another register, else nowhere.
   */
  ruleFor(s: State, r: number): RegRule | 'same' {
    const slot = this.slotOf(s, r);
    const inPlace = this.inPlace(s, r);
    const sp = s.regs.get(this.arch.sp);
    const live = slot !== null && sp?.k === 'cfa' && slot >= sp.off;
    if (slot !== null && (live || !inPlace)) return { kind: 'offset', offset: slot };
    if (inPlace) return 'same';
    for (const [reg, v] of s.regs) if (v.k === 'entry' && v.reg === r && reg >= 0 && reg !== this.arch.sp) return { kind: 'register', reg };
    return { kind: 'undefined' };
  }
}

// ---------------------------------------------------------------------------------------
// Control flow and the fixpoint.

export function analyzeFunction(arch: PrologueArch, code: Uint8Array, funcStart: bigint): FunctionAnalysis {
  const info = ARCHES[arch];
  const m = new Machine(info);
  const addrMask = m.mask;
  const insns: Insn[] = [];
  const index = new Map<bigint, number>();
  let at = 0;
  while (at < code.length) {
    const addr = (funcStart + BigInt(at)) & addrMask;
    const insn = info.decode(code, at, addr);
    if (!insn || at + insn.len > code.length) break;
    index.set(addr, insns.length);
    insns.push(insn);
    at += insn.len;
  }
  // Slot n = insns.length stands for the address where decoding stopped (the end of `code`,
  // or an instruction not decoded): the state there is known even if what follows is not.
  const n = insns.length;
  const end = (funcStart + BigInt(at)) & addrMask;
  index.set(end, n);
  // A branch into the middle of a decoded instruction: overlapping code or a wrong decode.
  let misaligned = false;
  for (const i of insns) {
    if (i.target !== undefined && i.target >= funcStart && i.target < end && !index.has(i.target)) misaligned = true;
  }
  // The straight-line start: up to and including the first instruction that is not plain.
  let entryRun = n;
  for (let k = 0; k < n; k++) {
    if (insns[k]!.flow !== 'next' || insns[k]!.unknown) {
      entryRun = k + 1;
      break;
    }
  }
  // Alignment padding: no-ops after an instruction that does not fall through. Only a
  // direct branch can make them reachable (a jump table points past them).
  const padding: boolean[] = new Array(n + 1).fill(false);
  for (let k = 1; k < n; k++) {
    const prev = insns[k - 1]!;
    padding[k] = !!insns[k]!.nop && (padding[k - 1]! || prev.flow === 'jump' || prev.flow === 'stop' || prev.flow === 'indirect');
  }

  // Where an indirect jump (switch table, tail call through a pointer) may land: an
  // instruction of the body no plain fall-through or direct branch leads to. Elsewhere the
  // state the visible edges give is the one every path gives: an instruction has a single
  // frame state whatever path reaches it (the property CFI itself relies on, one row per
  // pc). A call's fall-through does not count: the callee may not return, and the next
  // instruction may be a case block reached only through the table.
  const entered: boolean[] = new Array(n + 1).fill(false);
  for (let k = 0; k < n; k++) {
    const i = insns[k]!;
    if ((i.flow === 'next' || i.flow === 'branch') && !padding[k]) entered[k + 1] = true;
    if ((i.flow === 'branch' || i.flow === 'jump') && i.target !== undefined) {
      const t = index.get(i.target);
      if (t !== undefined) entered[t] = true;
    }
  }
  const states: (State | null)[] = new Array(n + 1).fill(null);
  if (!misaligned) {
    states[0] = m.entryState();
    const work = new Set<number>(n ? [0] : []);
    let indirect: State | null = null;
    const flowTo = (k: number, s: State) => {
      const old = states[k];
      const nu = old ? meet(old, s) : s;
      if (old && stateEq(old, nu)) return;
      states[k] = nu;
      if (k < n) work.add(k);
    };
    while (work.size) {
      const k = work.values().next().value as number;
      work.delete(k);
      const insn = insns[k]!;
      const out = m.step(states[k]!, insn);
      const fall = insn.flow === 'next' || insn.flow === 'branch' || insn.flow === 'call';
      if (fall) flowTo(k + 1, out);
      if ((insn.flow === 'branch' || insn.flow === 'jump') && insn.target !== undefined) {
        const t = index.get(insn.target);
        if (t !== undefined) flowTo(t, out);
      }
      if (insn.flow === 'indirect') {
        const nu: State = indirect ? meet(indirect, out) : out;
        if (!indirect || !stateEq(indirect, nu)) {
          indirect = nu;
          for (let j = entryRun; j <= n; j++) if (!padding[j] && !entered[j]) flowTo(j, nu);
        }
      }
    }
  }

  // The entry path: instructions 0..entryPath-1, each reached only by falling through from
  // the one before (the entry itself by no branch at all).
  const targeted = new Set<number>();
  for (const i of insns) {
    const t = i.target === undefined ? undefined : index.get(i.target);
    if (t !== undefined && (i.flow === 'branch' || i.flow === 'jump')) targeted.add(t);
  }
  let entryPath = 0;
  while (entryPath < n && !targeted.has(entryPath)) {
    const i = insns[entryPath]!;
    entryPath++;
    if (i.unknown || (i.flow !== 'next' && i.flow !== 'branch')) break;
  }

  /** The slot whose state holds at pc: the instruction containing pc (pc may be a return address - 1), or the stop address. */
  const find = (pc: bigint): number | null => {
    if (pc === end) return n;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (insns[mid]!.addr <= pc) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return null;
    const i = insns[lo - 1]!;
    return pc < i.addr + BigInt(i.len) ? lo - 1 : null;
  };
  const addrOf = (k: number) => (k < n ? insns[k]!.addr : end);
  const pub: DecodedInsn[] = insns.map(({ ops: _ops, ...rest }) => rest);
  return {
    insns: pub,
    rowAt(pc) {
      const k = find(pc);
      if (k === null || !states[k]) return null;
      return m.row(states[k]!, addrOf(k), funcStart, end);
    },
    stateAt(pc) {
      const k = find(pc);
      const s = k === null ? null : states[k];
      if (!s) return null;
      const sp = s.regs.get(info.sp);
      const fp = s.regs.get(info.fp);
      const inPlace = new Set<number>();
      const slots = new Map<number, bigint>();
      for (const r of [...info.calleeSaved, info.ra]) {
        if (m.inPlace(s, r)) inPlace.add(r);
        const slot = m.slotOf(s, r);
        if (slot !== null) slots.set(r, slot);
      }
      return { sp: sp?.k === 'cfa' ? sp.off : null, fp: fp?.k === 'cfa' ? fp.off : null, inPlace, slots };
    },
    onEntryPath(pc) {
      const k = find(pc);
      return k !== null && k < entryPath && !!states[k];
    },
  };
}
