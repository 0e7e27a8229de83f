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

export interface FunctionAnalysis {
  /** The instructions decoded from funcStart, in address order (decoding stops at the first whose length is unknown). */
  readonly insns: readonly DecodedInsn[];
  /** The row at pc, as analyzePrologue gives it. */
  rowAt(pc: bigint): CfiRow | null;
  /** sp and fp relative to the CFA at pc; null when pc is not reached or not decoded. */
  stateAt(pc: bigint): FrameState | null;
}

// ---------------------------------------------------------------------------------------
// The abstract machine.

/**
 * How control leaves an instruction: 'next' falls through; 'branch' falls through or goes to
 * `target`; 'jump' goes to `target`; 'call' falls through after the callee; 'stop' returns
 * (or traps for good); 'indirect' goes somewhere not known (jump table or tail call).
 */
export type Flow = 'next' | 'branch' | 'jump' | 'call' | 'stop' | 'indirect';

/** A register or memory value. Absent from a map = unknown. */
type Val = { k: 'c'; v: bigint } | { k: 'cfa'; off: bigint } | { k: 'entry'; reg: number };

/** A stack address: register value + offset; null = not resolvable (assumed not to be a save slot). */
type Addr = { base: number; off: bigint } | null;

type Expr =
  | { k: 'c'; v: bigint }
  /** r + add */
  | { k: 'reg'; r: number; add: bigint }
  /** a ± (b << shift) */
  | { k: 'reg2'; a: number; b: number; neg: boolean; shift: number }
  | { k: 'load'; addr: Addr; size: number }
  /** (r & keep) | imm (AArch64 MOVK) */
  | { k: 'movk'; r: number; imm: bigint; keep: bigint }
  | { k: 'unk' };

type Op =
  /** rd := e; ext: the operation is 32 bits wide on a 64-bit machine (a constant result is zero- or sign-extended, anything else becomes unknown). */
  | { o: 'set'; rd: number; e: Expr; ext?: 'z' | 's' }
  | { o: 'store'; addr: Addr; size: number; e: Expr }
  /** A call returned: caller-saved registers are unknown. */
  | { o: 'call' }
  /** AArch64 PAC on x30: sign (PACIASP) or authenticate (AUTIASP). */
  | { o: 'pac'; sign: boolean }
  /** Not understood: everything becomes unknown. */
  | { o: 'havoc' };

interface Insn extends DecodedInsn {
  ops: Op[];
}

interface State {
  regs: Map<number, Val>;
  mem: Map<bigint, Val>;
  /** AArch64: the return address in x30 / its slot is PAC-signed; null = unknown. */
  raSigned: boolean | null;
}

/** Pseudo register: reads as 0, writes vanish (AArch64 XZR, RISC-V x0). */
const ZR = -1;
/** Scratch pseudo registers for instructions that read everything before writing (always cleared again). */
const T1 = -2;
const T2 = -3;

interface ArchInfo {
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

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

const ARCHES: Record<PrologueArch, ArchInfo> = {
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
  };
}

// ---------------------------------------------------------------------------------------
// Helpers for the decoders.

const sx = (v: number, bits: number): number => (v << (32 - bits)) >> (32 - bits);
const set = (rd: number, e: Expr, ext?: 'z' | 's'): Op => (ext ? { o: 'set', rd, e, ext } : { o: 'set', rd, e });
const unk = (...rds: number[]): Op[] => rds.map((rd) => set(rd, { k: 'unk' }));
const regE = (r: number, add = 0n): Expr => ({ k: 'reg', r, add });
const HAVOC: Op[] = [{ o: 'havoc' }];

function nop(i: Insn | null): Insn | null {
  if (i) i.nop = true;
  return i;
}

function mk(addr: bigint, len: number, ops: Op[], flow: Flow = 'next', target?: bigint): Insn {
  const i: Insn = { addr, len, ops, flow };
  if (target !== undefined) i.target = target;
  if (ops.some((o) => o.o === 'havoc')) i.unknown = true;
  return i;
}

// ---------------------------------------------------------------------------------------
// RISC-V (RV32/RV64 IMAFDC + Zicsr + Zifencei).

function decodeRv(code: Uint8Array, at: number, addr: bigint, xlen: 32 | 64): Insn | null {
  if (at + 2 > code.length) return null;
  const h = code[at]! | (code[at + 1]! << 8);
  const mask = xlen === 64 ? 0xffff_ffff_ffff_ffffn : 0xffff_ffffn;
  const tgt = (off: number) => (addr + BigInt(off)) & mask;
  if ((h & 3) !== 3) return decodeRvc(h, addr, xlen, tgt);
  if ((h & 0x1c) === 0x1c) return null; // 48-bit and longer encodings
  if (at + 4 > code.length) return null;
  const i = (h | (code[at + 2]! << 16) | (code[at + 3]! << 24)) >>> 0;
  const ins = (ops: Op[], flow: Flow = 'next', target?: bigint) => mk(addr, 4, ops, flow, target);
  const opcode = i & 0x7f;
  const rd = (i >>> 7) & 31;
  const f3 = (i >>> 12) & 7;
  const rs1 = (i >>> 15) & 31;
  const rs2 = (i >>> 20) & 31;
  const f7 = i >>> 25;
  const immI = (i | 0) >> 20;
  const immS = (((i | 0) >> 25) << 5) | ((i >>> 7) & 31);
  const R = (r: number) => (r === 0 ? ZR : r);
  const W = xlen === 64 ? 's' : undefined; // RV64 *W ops sign-extend 32-bit results
  switch (opcode) {
    case 0x37: // LUI
      return ins([set(R(rd), { k: 'c', v: BigInt.asUintN(xlen, BigInt((i & 0xfffff000) | 0)) })]);
    case 0x17: // AUIPC
      return ins([set(R(rd), { k: 'c', v: (addr + BigInt((i & 0xfffff000) | 0)) & mask })]);
    case 0x6f: { // JAL
      const off = (((i | 0) >> 31) << 20) | (((i >>> 12) & 0xff) << 12) | (((i >>> 20) & 1) << 11) | (((i >>> 21) & 0x3ff) << 1);
      if (rd === 0) return ins([], 'jump', tgt(off));
      if (rd === 1) return ins([{ o: 'call' }], 'call', tgt(off));
      return ins(HAVOC, 'call', tgt(off)); // millicode (jal t0, __riscv_save_N) and the like
    }
    case 0x67: // JALR
      if (f3 !== 0) return ins(HAVOC);
      if (rd === 0) return ins([], rs1 === 1 && immI === 0 ? 'stop' : 'indirect');
      if (rd === 1) return ins([{ o: 'call' }], 'call');
      return ins(HAVOC, 'call');
    case 0x63: { // branches
      if (f3 === 2 || f3 === 3) return ins(HAVOC);
      const off = (((i | 0) >> 31) << 12) | (((i >>> 7) & 1) << 11) | (((i >>> 25) & 0x3f) << 5) | (((i >>> 8) & 0xf) << 1);
      return ins([], 'branch', tgt(off));
    }
    case 0x03: { // loads
      const sizes = [1, 2, 4, 8, 1, 2, 4];
      if (f3 === 7 || (xlen === 32 && (f3 === 3 || f3 === 6))) return ins(HAVOC);
      const size = sizes[f3]!;
      const full = size === xlen / 8 && f3 < 4;
      return ins([set(R(rd), full ? { k: 'load', addr: { base: R(rs1), off: BigInt(immI) }, size } : { k: 'unk' })]);
    }
    case 0x07: // FP loads: no integer register written
      return ins(f3 >= 1 && f3 <= 4 ? [] : HAVOC);
    case 0x23: { // stores
      if (f3 > 3 || (xlen === 32 && f3 === 3)) return ins(HAVOC);
      return ins([{ o: 'store', addr: { base: R(rs1), off: BigInt(immS) }, size: 1 << f3, e: regE(R(rs2)) }]);
    }
    case 0x27: // FP stores
      if (f3 < 1 || f3 > 4) return ins(HAVOC);
      return ins([{ o: 'store', addr: { base: R(rs1), off: BigInt(immS) }, size: [0, 2, 4, 8, 16][f3]!, e: { k: 'unk' } }]);
    case 0x13: // OP-IMM
      if (i === 0x00000013) return nop(ins([]));
      if (f3 === 0) return ins([set(R(rd), regE(R(rs1), BigInt(immI)))]);
      return ins(unk(R(rd)));
    case 0x1b: // OP-IMM-32
      if (xlen === 32) return ins(HAVOC);
      if (f3 === 0) return ins([set(R(rd), regE(R(rs1), BigInt(immI)), W)]);
      return ins(unk(R(rd)));
    case 0x33: // OP
      if (f3 === 0 && (f7 === 0 || f7 === 0x20)) return ins([set(R(rd), { k: 'reg2', a: R(rs1), b: R(rs2), neg: f7 === 0x20, shift: 0 })]);
      return ins(unk(R(rd)));
    case 0x3b: // OP-32
      if (xlen === 32) return ins(HAVOC);
      if (f3 === 0 && (f7 === 0 || f7 === 0x20)) return ins([set(R(rd), { k: 'reg2', a: R(rs1), b: R(rs2), neg: f7 === 0x20, shift: 0 }, W)]);
      return ins(unk(R(rd)));
    case 0x2f: { // AMO (A extension)
      if (f3 !== 2 && f3 !== 3) return ins(HAVOC);
      const isLr = (f7 >>> 2) === 2;
      const ops: Op[] = isLr ? [] : [{ o: 'store', addr: { base: R(rs1), off: 0n }, size: f3 === 2 ? 4 : 8, e: { k: 'unk' } }];
      return ins([...ops, ...unk(R(rd))]);
    }
    case 0x0f: // FENCE, FENCE.I
      return ins([]);
    case 0x73: // SYSTEM
      if (i === 0x00000073) return ins(unk(10)); // ecall: a0 = result
      if (i === 0x00100073) return ins([]); // ebreak
      if (f3 !== 0 && f3 !== 4) return ins(unk(R(rd))); // CSR reads
      return ins(HAVOC);
    case 0x53: { // OP-FP: integer destination only for compares, conversions to integer, fmv.x / fclass
      const f5 = f7 >>> 2;
      return ins(f5 === 0x14 || f5 === 0x18 || f5 === 0x1c ? unk(R(rd)) : []);
    }
    case 0x43: case 0x47: case 0x4b: case 0x4f: // fused multiply-add: FP destination
      return ins([]);
    default:
      return ins(HAVOC);
  }
}

function decodeRvc(h: number, addr: bigint, xlen: 32 | 64, tgt: (off: number) => bigint): Insn | null {
  const ins = (ops: Op[], flow: Flow = 'next', target?: bigint) => mk(addr, 2, ops, flow, target);
  if (h === 0) return null; // defined illegal instruction (also: zero padding)
  const q = h & 3;
  const f3 = h >>> 13;
  const rdp = 8 + ((h >>> 2) & 7); // rd' / rs2'
  const rs1p = 8 + ((h >>> 7) & 7);
  const rd = (h >>> 7) & 31;
  const rs2 = (h >>> 2) & 31;
  const R = (r: number) => (r === 0 ? ZR : r);
  const imm6 = sx(((h >>> 7) & 0x20) | ((h >>> 2) & 0x1f), 6);
  const sp = 2;
  if (q === 0) {
    switch (f3) {
      case 0: { // c.addi4spn
        const imm = ((h >>> 7) & 0x30) | ((h >>> 1) & 0x3c0) | ((h >>> 4) & 0x4) | ((h >>> 2) & 0x8);
        if (imm === 0) return ins(HAVOC);
        return ins([set(rdp, regE(sp, BigInt(imm)))]);
      }
      case 1: return ins([]); // c.fld
      case 2: { // c.lw
        const imm = ((h >>> 7) & 0x38) | ((h >>> 4) & 0x4) | ((h << 1) & 0x40);
        return ins([set(rdp, xlen === 32 ? { k: 'load', addr: { base: rs1p, off: BigInt(imm) }, size: 4 } : { k: 'unk' })]);
      }
      case 3: { // rv32: c.flw; rv64: c.ld
        if (xlen === 32) return ins([]);
        const imm = ((h >>> 7) & 0x38) | ((h << 1) & 0xc0);
        return ins([set(rdp, { k: 'load', addr: { base: rs1p, off: BigInt(imm) }, size: 8 })]);
      }
      case 5: { // c.fsd
        const imm = ((h >>> 7) & 0x38) | ((h << 1) & 0xc0);
        return ins([{ o: 'store', addr: { base: rs1p, off: BigInt(imm) }, size: 8, e: { k: 'unk' } }]);
      }
      case 6: { // c.sw
        const imm = ((h >>> 7) & 0x38) | ((h >>> 4) & 0x4) | ((h << 1) & 0x40);
        return ins([{ o: 'store', addr: { base: rs1p, off: BigInt(imm) }, size: 4, e: regE(rdp) }]);
      }
      case 7: { // rv32: c.fsw; rv64: c.sd
        if (xlen === 32) {
          const imm = ((h >>> 7) & 0x38) | ((h >>> 4) & 0x4) | ((h << 1) & 0x40);
          return ins([{ o: 'store', addr: { base: rs1p, off: BigInt(imm) }, size: 4, e: { k: 'unk' } }]);
        }
        const imm = ((h >>> 7) & 0x38) | ((h << 1) & 0xc0);
        return ins([{ o: 'store', addr: { base: rs1p, off: BigInt(imm) }, size: 8, e: regE(rdp) }]);
      }
      default: return ins(HAVOC);
    }
  }
  if (q === 1) {
    switch (f3) {
      case 0: return rd === 0 ? nop(ins([])) : ins([set(rd, regE(rd, BigInt(imm6)))]); // c.nop / c.addi
      case 1: {
        if (xlen === 32) { // c.jal
          return ins([{ o: 'call' }], 'call', tgt(cjOffset(h)));
        }
        if (rd === 0) return ins(HAVOC);
        return ins([set(rd, regE(rd, BigInt(imm6)), 's')]); // c.addiw
      }
      case 2: return ins([set(R(rd), { k: 'c', v: BigInt.asUintN(xlen, BigInt(imm6)) })]); // c.li
      case 3: {
        if (rd === 2) { // c.addi16sp
          const imm = sx(((h >>> 3) & 0x200) | ((h >>> 2) & 0x10) | ((h << 1) & 0x40) | ((h << 4) & 0x180) | ((h << 3) & 0x20), 10);
          if (imm === 0) return ins(HAVOC);
          return ins([set(sp, regE(sp, BigInt(imm)))]);
        }
        const imm = sx(((h << 5) & 0x20000) | ((h << 10) & 0x1f000), 18);
        if (imm === 0) return ins(HAVOC);
        return ins([set(R(rd), { k: 'c', v: BigInt.asUintN(xlen, BigInt(imm)) })]); // c.lui
      }
      case 4: return ins(unk(rs1p)); // c.srli/srai/andi/sub/xor/or/and/subw/addw
      case 5: return ins([], 'jump', tgt(cjOffset(h))); // c.j
      default: { // c.beqz / c.bnez
        const off = sx(((h >>> 4) & 0x100) | ((h >>> 7) & 0x18) | ((h << 1) & 0xc0) | ((h >>> 2) & 0x6) | ((h << 3) & 0x20), 9);
        return ins([], 'branch', tgt(off));
      }
    }
  }
  if (q === 2) {
    switch (f3) {
      case 0: return ins(unk(R(rd))); // c.slli
      case 1: return ins([]); // c.fldsp
      case 2: { // c.lwsp
        if (rd === 0) return ins(HAVOC);
        const imm = ((h >>> 7) & 0x20) | ((h >>> 2) & 0x1c) | ((h << 4) & 0xc0);
        return ins([set(rd, xlen === 32 ? { k: 'load', addr: { base: sp, off: BigInt(imm) }, size: 4 } : { k: 'unk' })]);
      }
      case 3: { // rv32: c.flwsp; rv64: c.ldsp
        if (xlen === 32) return ins([]);
        if (rd === 0) return ins(HAVOC);
        const imm = ((h >>> 7) & 0x20) | ((h >>> 2) & 0x18) | ((h << 4) & 0x1c0);
        return ins([set(rd, { k: 'load', addr: { base: sp, off: BigInt(imm) }, size: 8 })]);
      }
      case 4: {
        const bit12 = (h >>> 12) & 1;
        if (bit12 === 0) {
          if (rs2 === 0) { // c.jr
            if (rd === 0) return ins(HAVOC);
            return ins([], rd === 1 ? 'stop' : 'indirect');
          }
          return ins([set(R(rd), regE(rs2))]); // c.mv
        }
        if (rd === 0 && rs2 === 0) return ins([]); // c.ebreak
        if (rs2 === 0) return ins([{ o: 'call' }], 'call'); // c.jalr
        return ins([set(R(rd), { k: 'reg2', a: R(rd), b: rs2, neg: false, shift: 0 })]); // c.add
      }
      case 5: { // c.fsdsp
        const imm = ((h >>> 7) & 0x38) | ((h >>> 1) & 0x1c0);
        return ins([{ o: 'store', addr: { base: sp, off: BigInt(imm) }, size: 8, e: { k: 'unk' } }]);
      }
      case 6: { // c.swsp
        const imm = ((h >>> 7) & 0x3c) | ((h >>> 1) & 0xc0);
        return ins([{ o: 'store', addr: { base: sp, off: BigInt(imm) }, size: 4, e: regE(R(rs2)) }]);
      }
      default: { // rv32: c.fswsp; rv64: c.sdsp
        if (xlen === 32) {
          const imm = ((h >>> 7) & 0x3c) | ((h >>> 1) & 0xc0);
          return ins([{ o: 'store', addr: { base: sp, off: BigInt(imm) }, size: 4, e: { k: 'unk' } }]);
        }
        const imm = ((h >>> 7) & 0x38) | ((h >>> 1) & 0x1c0);
        return ins([{ o: 'store', addr: { base: sp, off: BigInt(imm) }, size: 8, e: regE(R(rs2)) }]);
      }
    }
  }
  return null;
}

/** c.j / c.jal offset[11|4|9:8|10|6|7|3:1|5]. */
function cjOffset(h: number): number {
  return sx(((h >>> 1) & 0x800) | ((h >>> 7) & 0x10) | ((h >>> 1) & 0x300) | ((h << 2) & 0x400) | ((h >>> 1) & 0x40) | ((h << 1) & 0x80) | ((h >>> 2) & 0xe) | ((h << 3) & 0x20), 12);
}

// ---------------------------------------------------------------------------------------
// AArch64 (A64).

/** DecodeBitMasks for a logical immediate (Arm ARM, shared pseudocode); null when reserved. */
function bitMask(n: number, immr: number, imms: number, regSize: number): bigint | null {
  const combined = (n << 6) | (~imms & 0x3f);
  if (combined === 0) return null;
  const len = 31 - Math.clz32(combined);
  if (len < 1) return null;
  const levels = (1 << len) - 1;
  const s = imms & levels;
  const r = immr & levels;
  if (s === levels) return null;
  const esize = 1 << len;
  if (esize > regSize) return null;
  const emask = (1n << BigInt(esize)) - 1n;
  let elem = (1n << BigInt(s + 1)) - 1n;
  if (r) elem = ((elem >> BigInt(r)) | (elem << BigInt(esize - r))) & emask;
  let out = 0n;
  for (let k = 0; k < regSize; k += esize) out |= elem << BigInt(k);
  return out;
}

function decodeA64(code: Uint8Array, at: number, addr: bigint): Insn | null {
  if (at + 4 > code.length) return null;
  const i = (code[at]! | (code[at + 1]! << 8) | (code[at + 2]! << 16) | (code[at + 3]! << 24)) >>> 0;
  const is = (mask: number, value: number) => ((i & mask) >>> 0) === value;
  const ins = (ops: Op[], flow: Flow = 'next', target?: bigint) => mk(addr, 4, ops, flow, target);
  const tgt = (off: number) => (addr + BigInt(off)) & 0xffff_ffff_ffff_ffffn;
  const SP = 31;
  const rd = i & 31;
  const rn = (i >>> 5) & 31;
  const rm = (i >>> 16) & 31;
  const sf = i >>> 31;
  const Z = (r: number) => (r === 31 ? ZR : r); // register 31 as XZR
  const ext = sf ? undefined : ('z' as const);

  // Hints, barriers, system registers.
  if (is(0xfffff01f, 0xd503201f)) {
    const n = (i >>> 5) & 0x7f;
    if (n === 0) return nop(ins([]));
    if ([1, 2, 3, 4, 5, 6, 16, 17, 18, 20, 32, 34, 36, 38].includes(n)) return ins([]); // yield, wfe, ..., csdb, bti
    if (n === 24 || n === 25 || n === 26 || n === 27) return ins([{ o: 'pac', sign: true }]); // paciaz/paciasp/pacibz/pacibsp
    if (n === 28 || n === 29 || n === 30 || n === 31) return ins([{ o: 'pac', sign: false }]); // autiaz/autiasp/autibz/autibsp
    if (n === 7) return ins(unk(30)); // xpaclri: x30 loses its signature (and, here, what we knew of it)
    if (n === 8 || n === 10 || n === 12 || n === 14) return ins(unk(17)); // pacia1716 ... autib1716
    return ins(HAVOC);
  }
  if (is(0xfffff01f, 0xd503301f)) return ins([]); // clrex, dsb, dmb, isb, sb
  if (is(0xfff00000, 0xd5300000)) return ins(unk(Z(rd))); // mrs
  if (is(0xfff00000, 0xd5100000)) return ins([]); // msr (register)
  if (is(0xfff80000, 0xd5080000)) return ins([]); // sys (dc zva, ic ivau, ...)
  if (is(0xffe0001f, 0xd4000001)) return ins(unk(0)); // svc
  if (is(0xffe0001f, 0xd4200000) || is(0xffe0001f, 0xd4400000)) return ins([]); // brk, hlt

  // Branches.
  if (is(0x7c000000, 0x14000000)) { // b, bl
    const off = sx(i & 0x3ffffff, 26) * 4;
    return sf ? ins([{ o: 'call' }], 'call', tgt(off)) : ins([], 'jump', tgt(off));
  }
  if (is(0xff000000, 0x54000000)) return ins([], 'branch', tgt(sx((i >>> 5) & 0x7ffff, 19) * 4)); // b.cond, bc.cond
  if (is(0x7e000000, 0x34000000)) return ins([], 'branch', tgt(sx((i >>> 5) & 0x7ffff, 19) * 4)); // cbz, cbnz
  if (is(0x7e000000, 0x36000000)) return ins([], 'branch', tgt(sx((i >>> 5) & 0x3fff, 14) * 4)); // tbz, tbnz
  if (is(0xfe000000, 0xd6000000)) { // branch (register)
    const opc = (i >>> 21) & 0xf;
    if (opc === 0 || opc === 8) return ins([], 'indirect'); // br, braa...
    if (opc === 1 || opc === 9) return ins([{ o: 'call' }], 'call'); // blr, blraa...
    if (opc === 2) return ins([], 'stop'); // ret, retaa, retab
    return ins(HAVOC, 'stop');
  }

  // Data processing: immediate.
  if (is(0x1f000000, 0x10000000)) { // adr, adrp
    const imm = (sx((i >>> 5) & 0x7ffff, 19) * 4) | ((i >>> 29) & 3);
    const v = sf ? ((addr & ~0xfffn) + (BigInt(imm) << 12n)) & 0xffff_ffff_ffff_ffffn : tgt(imm);
    return ins([set(Z(rd), { k: 'c', v })]);
  }
  if (is(0x1f800000, 0x11000000)) { // add/sub (immediate)
    const sub = (i >>> 30) & 1;
    const S = (i >>> 29) & 1;
    const imm = BigInt((i >>> 10) & 0xfff) << ((i >>> 22) & 1 ? 12n : 0n);
    const dst = S ? Z(rd) : rd; // 31 = sp unless flags are set
    return ins([set(dst, regE(rn, sub ? -imm : imm), ext)]);
  }
  if (is(0x1f800000, 0x12000000)) { // logical (immediate)
    const opc = (i >>> 29) & 3;
    const dst = opc === 3 ? Z(rd) : rd;
    if (opc === 1 && rn === 31) {
      const v = bitMask((i >>> 22) & 1, (i >>> 16) & 63, (i >>> 10) & 63, sf ? 64 : 32);
      if (v !== null) return ins([set(dst, { k: 'c', v })]);
    }
    return ins(unk(dst));
  }
  if (is(0x1f800000, 0x12800000)) { // move wide
    const opc = (i >>> 29) & 3;
    const shift = BigInt(((i >>> 21) & 3) * 16);
    if (!sf && shift >= 32n) return ins(HAVOC);
    const imm = BigInt((i >>> 5) & 0xffff) << shift;
    const width = sf ? 0xffff_ffff_ffff_ffffn : 0xffff_ffffn;
    if (opc === 2) return ins([set(Z(rd), { k: 'c', v: imm })]); // movz
    if (opc === 0) return ins([set(Z(rd), { k: 'c', v: ~imm & width })]); // movn
    if (opc === 3) return ins([set(Z(rd), { k: 'movk', r: Z(rd), imm, keep: ~(0xffffn << shift) & width })]); // movk
    return ins(HAVOC);
  }
  if (is(0x1f000000, 0x13000000)) return ins(unk(Z(rd))); // bitfield, extract

  // Data processing: register.
  if (is(0x0e000000, 0x0a000000)) {
    if (is(0x1f000000, 0x0a000000)) { // logical (shifted register)
      const opc = (i >>> 29) & 3;
      const n = (i >>> 21) & 1;
      const imm6 = (i >>> 10) & 63;
      if (opc === 1 && n === 0 && imm6 === 0 && rn === 31) return ins([set(Z(rd), regE(Z(rm)), ext)]); // mov
      return ins(unk(Z(rd)));
    }
    if (is(0x1f200000, 0x0b000000)) { // add/sub (shifted register)
      const shiftType = (i >>> 22) & 3;
      const imm6 = (i >>> 10) & 63;
      if (shiftType !== 0) return ins(unk(Z(rd)));
      return ins([set(Z(rd), { k: 'reg2', a: Z(rn), b: Z(rm), neg: ((i >>> 30) & 1) === 1, shift: imm6 }, ext)]);
    }
    if (is(0x1f200000, 0x0b200000)) { // add/sub (extended register): 31 is sp for rd (no flags) and rn
      const S = (i >>> 29) & 1;
      const option = (i >>> 13) & 7;
      const imm3 = (i >>> 10) & 7;
      const dst = S ? Z(rd) : rd;
      if (sf && (option === 3 || option === 7) && imm3 <= 4) {
        return ins([set(dst, { k: 'reg2', a: rn, b: Z(rm), neg: ((i >>> 30) & 1) === 1, shift: imm3 })]);
      }
      return ins(unk(dst));
    }
    return ins(unk(Z(rd))); // adc, csel, data-processing 1/2/3 source, ccmp (no rd: harmless over-approximation)
  }

  // SIMD and floating point data processing: writes a general register only in a few classes.
  if (is(0x0e000000, 0x0e000000)) {
    if (is(0x5f200000, 0x1e200000) && ((i >>> 10) & 0x3f) === 0) { // FP <-> integer conversion
      const opcode = (i >>> 16) & 7;
      return ins([0, 1, 4, 5, 6].includes(opcode) ? unk(Z(rd)) : []);
    }
    if (is(0x5f200000, 0x1e000000)) return ins(unk(Z(rd))); // FP <-> fixed-point (over-approximated)
    if (is(0x9fe08400, 0x0e000400)) { // AdvSIMD copy: umov / smov write a general register
      const imm4 = (i >>> 11) & 0xf;
      return ins(imm4 === 5 || imm4 === 7 ? unk(Z(rd)) : []);
    }
    return ins([]);
  }

  // Loads and stores.
  if (is(0x0a000000, 0x08000000)) return decodeA64Mem(i, ins, SP);

  return ins(HAVOC); // SVE, SME, reserved
}

function decodeA64Mem(i: number, ins: (ops: Op[], flow?: Flow, target?: bigint) => Insn, SP: number): Insn {
  const is = (mask: number, value: number) => ((i & mask) >>> 0) === value;
  const rt = i & 31;
  const rn = (i >>> 5) & 31; // base: 31 is sp
  const V = (i >>> 26) & 1;
  const Zt = (r: number) => (r === 31 ? ZR : r);
  // Load/store pair.
  if (is(0x38000000, 0x28000000)) {
    const opc = i >>> 30;
    const mode = (i >>> 23) & 3; // 0 no-allocate offset, 1 post-index, 2 offset, 3 pre-index
    const L = (i >>> 22) & 1;
    const rt2 = (i >>> 10) & 31;
    let size: number;
    if (V) size = opc === 0 ? 4 : opc === 1 ? 8 : opc === 2 ? 16 : 0;
    else size = opc === 0 ? 4 : opc === 2 ? 8 : opc === 1 && L ? 4 : 0; // ldpsw
    if (!size || (V === 0 && opc === 1 && mode === 0)) return ins(HAVOC);
    const off = BigInt(sx((i >>> 15) & 0x7f, 7) * size);
    const at = mode === 1 ? 0n : off;
    const ops: Op[] = [];
    const base = rn === 31 ? SP : rn;
    const a1: Addr = { base, off: at };
    const a2: Addr = { base, off: at + BigInt(size) };
    if (L === 0) {
      ops.push({ o: 'store', addr: a1, size, e: V ? { k: 'unk' } : regE(Zt(rt)) });
      ops.push({ o: 'store', addr: a2, size, e: V ? { k: 'unk' } : regE(Zt(rt2)) });
    } else if (!V) {
      const full = size === 8 && opc === 2;
      if ((mode === 1 || mode === 3) && (rt === base || rt2 === base)) return ins(HAVOC);
      // Both loads read memory before either register is written (through scratch pseudo registers).
      ops.push(
        set(T1, full ? { k: 'load', addr: a1, size } : { k: 'unk' }),
        set(T2, full ? { k: 'load', addr: a2, size } : { k: 'unk' }),
        set(Zt(rt), regE(T1)),
        set(Zt(rt2), regE(T2)),
        ...unk(T1, T2),
      );
    }
    if (mode === 1 || mode === 3) ops.push(set(base, regE(base, off)));
    return ins(ops);
  }
  // Load/store register: unsigned offset, imm9 forms, register offset, atomics, pac loads.
  if (is(0x3a000000, 0x38000000)) {
    const size = i >>> 30;
    const opc = (i >>> 22) & 3;
    const base = rn === 31 ? SP : rn;
    let bytes: number;
    let isLoad: boolean;
    if (V) {
      bytes = (opc & 2) ? (size === 0 ? 16 : 0) : 1 << size;
      isLoad = (opc & 1) === 1;
      if (!bytes) return ins(HAVOC);
    } else {
      bytes = 1 << size;
      if (opc === 0) isLoad = false;
      else if (opc === 1) isLoad = true;
      else if (size === 3 && opc === 2) return ins([]); // prfm / prfum
      else if (size === 3 || (size === 2 && opc === 3)) return ins(HAVOC);
      else isLoad = true; // sign-extending loads
    }
    const fullLoad = isLoad && !V && bytes === 8 && opc === 1;
    let addr: Addr;
    let wb: bigint | null = null;
    if (i & 0x01000000) { // unsigned immediate offset
      addr = { base, off: BigInt(((i >>> 10) & 0xfff) * bytes) };
    } else if (((i >>> 21) & 1) === 0) { // imm9: unscaled, post-index, unprivileged, pre-index
      const imm9 = BigInt(sx((i >>> 12) & 0x1ff, 9));
      const kind = (i >>> 10) & 3;
      addr = { base, off: kind === 1 ? 0n : imm9 };
      if (kind === 1 || kind === 3) wb = imm9;
    } else if (((i >>> 10) & 3) === 2) { // register offset
      addr = null;
    } else if (((i >>> 10) & 3) === 0 && !V) { // atomic memory operations (ldadd, swp, ...): rt gets the old value
      return ins([{ o: 'store', addr: { base, off: 0n }, size: bytes, e: { k: 'unk' } }, ...unk(Zt(rt))]);
    } else {
      return ins(HAVOC); // ldraa/ldrab and others
    }
    const ops: Op[] = [];
    if (isLoad) {
      if (!V) {
        if (wb !== null && rt === base) return ins(HAVOC);
        ops.push(set(Zt(rt), fullLoad ? { k: 'load', addr, size: 8 } : { k: 'unk' }));
      }
    } else {
      ops.push({ o: 'store', addr, size: bytes, e: V ? { k: 'unk' } : regE(Zt(rt)) });
    }
    if (wb !== null) ops.push(set(base, regE(base, wb)));
    return ins(ops);
  }
  // Load register (literal).
  if (is(0x3b000000, 0x18000000)) {
    const opc = i >>> 30;
    return ins(V || opc === 3 ? [] : unk(Zt(rt)));
  }
  // Load/store exclusive, load-acquire/store-release, compare-and-swap: registers read back are unknown.
  if (is(0x3f000000, 0x08000000)) {
    const rs = (i >>> 16) & 31;
    const rt2 = (i >>> 10) & 31;
    const base = rn === 31 ? SP : rn;
    return ins([{ o: 'store', addr: { base, off: 0n }, size: 16, e: { k: 'unk' } }, ...unk(Zt(rt), Zt(rs), Zt(rt2))]);
  }
  // AdvSIMD load/store multiple/single structures: vector registers; post-index updates the base.
  if (is(0xbe000000, 0x0c000000)) {
    if ((i >>> 23) & 1) return ins(unk(rn === 31 ? SP : rn));
    return ins([]);
  }
  return ins(HAVOC);
}

// ---------------------------------------------------------------------------------------
// x86-64.

/** x86 register encoding -> DWARF number. */
const X86_DWARF = [0, 2, 1, 3, 7, 6, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15];
const XSP = 7;
const XBP = 6;

// 1-byte opcodes with a ModRM byte.
const X86_MODRM1 = new Set<number>([
  ...range(0x00, 0x03), ...range(0x08, 0x0b), ...range(0x10, 0x13), ...range(0x18, 0x1b),
  ...range(0x20, 0x23), ...range(0x28, 0x2b), ...range(0x30, 0x33), ...range(0x38, 0x3b),
  0x63, 0x69, 0x6b, ...range(0x80, 0x8f), 0xc0, 0xc1, 0xc6, 0xc7, ...range(0xd0, 0xd3), ...range(0xd8, 0xdf), 0xf6, 0xf7, 0xfe, 0xff,
]);
// 0F xx opcodes without a ModRM byte (the rest of the defined ones have one).
const X86_NOMODRM2 = new Set<number>([0x05, 0x06, 0x07, 0x08, 0x09, 0x0b, 0x0e, ...range(0x30, 0x35), 0x37, 0x77, ...range(0x80, 0x8f), 0xa0, 0xa1, 0xa2, 0xa8, 0xa9, 0xaa, ...range(0xc8, 0xcf)]);
// 0F xx opcodes not decoded at all.
const X86_BAD2 = new Set<number>([0x04, 0x0a, 0x0c, 0x0f, 0x24, 0x25, 0x26, 0x27, 0x36, 0x39, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x7a, 0x7b, 0xa6, 0xa7]);
// 0F xx opcodes followed by an imm8.
const X86_IMM8_2 = new Set<number>([0x70, 0x71, 0x72, 0x73, 0xa4, 0xac, 0xba, 0xc2, 0xc4, 0xc5, 0xc6]);

interface ModRM {
  mod: number;
  reg: number; // with REX.R
  rm: number; // with REX.B (register when mod = 3)
  /** Memory operand address, null when not a resolvable [base + disp]. */
  addr: Addr;
  len: number; // ModRM + SIB + displacement bytes
}

function readModRM(code: Uint8Array, at: number, rex: number, segOverride: boolean, addr32: boolean): ModRM | null {
  if (at >= code.length) return null;
  const b = code[at]!;
  const mod = b >>> 6;
  const reg = ((b >>> 3) & 7) | ((rex & 4) << 1);
  let rm = b & 7;
  let len = 1;
  if (mod === 3) return { mod, reg, rm: rm | ((rex & 1) << 3), addr: null, len };
  let base: number | null = null;
  let hasIndex = false;
  let dispSize = mod === 1 ? 1 : mod === 2 ? 4 : 0;
  if (rm === 4) {
    if (at + 1 >= code.length) return null;
    const sib = code[at + 1]!;
    len++;
    const idx = ((sib >>> 3) & 7) | ((rex & 2) << 2);
    hasIndex = idx !== 4;
    const sbase = sib & 7;
    if (sbase === 5 && mod === 0) dispSize = 4;
    else base = sbase | ((rex & 1) << 3);
  } else if (rm === 5 && mod === 0) {
    dispSize = 4; // rip-relative
  } else base = rm | ((rex & 1) << 3);
  if (at + len + dispSize > code.length) return null;
  let disp = 0;
  if (dispSize === 1) disp = sx(code[at + len]!, 8);
  else if (dispSize === 4) disp = code[at + len]! | (code[at + len + 1]! << 8) | (code[at + len + 2]! << 16) | (code[at + len + 3]! << 24);
  len += dispSize;
  rm |= (rex & 1) << 3;
  const address: Addr = base !== null && !hasIndex && !segOverride && !addr32 ? { base: X86_DWARF[base]!, off: BigInt(disp) } : null;
  return { mod, reg, rm, addr: address, len };
}

function decodeX86(code: Uint8Array, start: number, addr: bigint): Insn | null {
  let p = start;
  let opsize16 = false;
  let addr32 = false;
  let seg = false;
  let rep = 0; // 0xf2 / 0xf3
  const limit = Math.min(code.length, start + 15);
  // Legacy prefixes.
  for (;;) {
    if (p >= limit) return null;
    const b = code[p]!;
    if (b === 0x66) opsize16 = true;
    else if (b === 0x67) addr32 = true;
    else if (b === 0x64 || b === 0x65) seg = true;
    else if (b === 0x2e || b === 0x3e || b === 0x26 || b === 0x36) { /* ignored in 64-bit mode (or branch hints) */ }
    else if (b === 0xf0) { /* lock */ }
    else if (b === 0xf2 || b === 0xf3) rep = b;
    else break;
    p++;
  }
  let rex = 0;
  if ((code[p]! & 0xf0) === 0x40) {
    rex = code[p]!;
    p++;
    if (p >= limit) return null;
  }
  const W = (rex & 8) !== 0;
  const op = code[p++]!;
  const done = (len: number, ops: Op[], flow: Flow = 'next', target?: bigint): Insn | null =>
    start + len > limit ? null : mk(addr, len, ops, flow, target);
  const imm = (at: number, size: number): bigint => {
    let v = 0n;
    for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(code[at + k] ?? 0);
    return BigInt.asIntN(size * 8, v);
  };
  const rel = (len: number, size: number) => (addr + BigInt(len) + imm(start + len - size, size)) & 0xffff_ffff_ffff_ffffn;
  const D = (r: number) => X86_DWARF[r]!;
  /** Destination of a byte operation on a register: without REX, 4-7 are ah, ch, dh, bh. */
  const byteReg = (r: number) => (rex === 0 && r >= 4 && r < 8 ? D(r - 4) : D(r));
  const iz = opsize16 ? 2 : 4;

  // VEX / EVEX: vector instructions; a few write a general register.
  if (op === 0xc4 || op === 0xc5 || op === 0x62) return decodeX86Vex(code, start, p - 1, op, addr, limit, rex !== 0 || opsize16 || rep !== 0);

  if (op !== 0x0f) {
    // One-byte opcode map.
    if (X86_MODRM1.has(op)) {
      const m = readModRM(code, p, rex, seg, addr32);
      if (!m) return null;
      let len = p - start + m.len;
      const regD = D(m.reg);
      const rmD = m.mod === 3 ? D(m.rm) : null;
      const mem: Addr = m.addr;
      const size = op & 1 ? (W ? 8 : opsize16 ? 2 : 4) : 1;
      /** Write to the r/m operand: a register (maybe narrower than 64 bits) or memory. */
      const toRm = (e: Expr): Op[] => {
        if (m.mod !== 3) return [{ o: 'store', addr: mem, size, e: size === 8 ? e : { k: 'unk' } }];
        const r = size === 1 ? byteReg(m.rm) : rmD!;
        if (size === 8) return [set(r, e)];
        if (size === 4) return [set(r, e, 'z')];
        return unk(r);
      };
      const toReg = (e: Expr): Op[] => {
        const r = size === 1 ? byteReg(m.reg) : regD;
        if (size === 8) return [set(r, e)];
        if (size === 4) return [set(r, e, 'z')];
        return unk(r);
      };
      const rmVal: Expr = m.mod === 3 ? regE(rmD!) : { k: 'load', addr: mem, size };
      if (op < 0x40) { // ALU: add or adc sbb and sub xor cmp
        const alu = op >>> 3;
        const dir = op & 2; // 0: r/m is the destination
        if (alu === 7) return done(len, []); // cmp
        const same = m.mod === 3 && m.rm === m.reg;
        if ((alu === 6 || alu === 5) && same) return done(len, dir ? toReg({ k: 'c', v: 0n }) : toRm({ k: 'c', v: 0n })); // xor r,r / sub r,r
        if ((alu === 0 || alu === 5) && size === 8) {
          const neg = alu === 5;
          const e: Expr = dir ? { k: 'reg2', a: regD, b: rmD ?? ZR, neg, shift: 0 } : { k: 'reg2', a: rmD ?? ZR, b: regD, neg, shift: 0 };
          if (m.mod !== 3 && !dir) return done(len, toRm({ k: 'unk' }));
          if (m.mod !== 3) return done(len, toReg({ k: 'unk' }));
          return done(len, dir ? toReg(e) : toRm(e));
        }
        return done(len, dir ? toReg({ k: 'unk' }) : toRm({ k: 'unk' }));
      }
      switch (op) {
        case 0x63: return done(len, unk(regD)); // movsxd
        case 0x69: len += iz; return done(len, unk(regD)); // imul r, r/m, imm
        case 0x6b: len += 1; return done(len, unk(regD));
        case 0x80: case 0x81: case 0x83: { // group 1 with an immediate
          const isz = op === 0x81 ? iz : 1;
          len += isz;
          const alu = (m.reg & 7);
          if (alu === 7) return done(len, []); // cmp
          const v = imm(start + len - isz, isz);
          if ((alu === 0 || alu === 5) && size === 8 && m.mod === 3) return done(len, toRm(regE(rmD!, alu === 5 ? -v : v)));
          if (alu === 4 && m.mod === 3 && size >= 4 && v === 0n) return done(len, toRm({ k: 'c', v: 0n })); // and r, 0
          return done(len, toRm({ k: 'unk' }));
        }
        case 0x84: case 0x85: return done(len, []); // test
        case 0x86: case 0x87: { // xchg
          if (m.mod === 3 && size === 8) {
            return done(len, swap(regD, rmD!));
          }
          return done(len, [...toRm({ k: 'unk' }), ...toReg({ k: 'unk' })]);
        }
        case 0x88: case 0x89: return done(len, toRm(regE(size === 1 ? byteReg(m.reg) : regD))); // mov r/m, r
        case 0x8a: case 0x8b: return done(len, toReg(rmVal)); // mov r, r/m
        case 0x8c: return done(len, m.mod === 3 ? unk(rmD!) : [{ o: 'store', addr: mem, size: 2, e: { k: 'unk' } }]);
        case 0x8d: { // lea
          if (m.mod === 3) return null;
          const e: Expr = m.addr ? regE(m.addr.base, m.addr.off) : { k: 'unk' };
          if (W) return done(len, [set(regD, e)]);
          return done(len, unk(regD));
        }
        case 0x8e: return done(len, []); // mov sreg, r/m
        case 0x8f: // pop r/m
          if ((m.reg & 7) !== 0) return null; // XOP
          if (opsize16) return done(len, HAVOC); // pop r/m16
          if (m.mod === 3) return done(len, popTo(D(m.rm)));
          // The destination address is computed with rsp already incremented.
          return done(len, [set(XSP, regE(XSP, 8n)), { o: 'store', addr: mem, size: 8, e: { k: 'unk' } }]);
        case 0xc0: case 0xc1: len += 1; return done(len, toRm({ k: 'unk' })); // shifts by imm8
        case 0xc6: case 0xc7: { // mov r/m, imm
          if ((m.reg & 7) === 7 && m.mod === 3) { // xabort / xbegin
            if (op === 0xc6) { len += 1; return done(len, unk(0)); }
            len += iz;
            return done(len, unk(0), 'branch', rel(len, iz));
          }
          if ((m.reg & 7) !== 0) return null;
          const isz = op === 0xc7 ? iz : 1;
          len += isz;
          const v = imm(start + len - isz, isz);
          return done(len, toRm({ k: 'c', v: BigInt.asUintN(64, v) }));
        }
        case 0xd0: case 0xd1: case 0xd2: case 0xd3: return done(len, toRm({ k: 'unk' })); // shifts by 1 / cl
        case 0xd8: case 0xd9: case 0xda: case 0xdb: case 0xdc: case 0xdd: case 0xde: case 0xdf: // x87 (fnstsw ax writes ax)
          return done(len, unk(0));
        case 0xf6: case 0xf7: { // group 3
          const sub = m.reg & 7;
          if (sub === 0 || sub === 1) { len += op === 0xf7 ? iz : 1; return done(len, []); } // test
          if (sub === 2 || sub === 3) return done(len, toRm({ k: 'unk' })); // not, neg
          return done(len, unk(0, 1)); // mul, imul, div, idiv: rax, rdx
        }
        case 0xfe: { // inc/dec r/m8
          if ((m.reg & 7) > 1) return null;
          return done(len, toRm({ k: 'unk' }));
        }
        case 0xff: { // group 5
          const sub = m.reg & 7;
          if (sub === 0 || sub === 1) return done(len, toRm({ k: 'unk' })); // inc, dec
          if (sub === 2) return done(len, [{ o: 'call' }], 'call'); // call r/m
          if (sub === 4) return done(len, [], 'indirect'); // jmp r/m
          if (sub === 6 && opsize16) return done(len, HAVOC); // push r/m16
          if (sub === 6) return done(len, pushOf(m.mod === 3 ? regE(rmD!) : { k: 'load', addr: mem, size: 8 })); // push r/m
          return done(len, HAVOC, 'stop'); // far call/jmp
        }
      }
      return null;
    }
    // One-byte opcodes without ModRM.
    const len0 = p - start;
    if (opsize16 && ((op >= 0x50 && op <= 0x5f) || op === 0x68 || op === 0x6a || op === 0x9c || op === 0x9d)) return done(len0 + (op === 0x68 ? 2 : op === 0x6a ? 1 : 0), HAVOC); // 16-bit push/pop
    if (op >= 0x50 && op <= 0x57) return done(len0, pushOf(regE(D((op & 7) | ((rex & 1) << 3))))); // push r
    if (op >= 0x58 && op <= 0x5f) return done(len0, popTo(D((op & 7) | ((rex & 1) << 3)))); // pop r
    if (op >= 0x70 && op <= 0x7f) return done(len0 + 1, [], 'branch', rel(len0 + 1, 1)); // jcc rel8
    if (op >= 0x90 && op <= 0x97) { // nop / pause / xchg rax, r
      const r = (op & 7) | ((rex & 1) << 3);
      if (r === 0 && rep === 0) return nop(done(len0, []));
      if (r === 0) return done(len0, []); // pause
      return done(len0, W ? swap(0, D(r)) : unk(0, D(r)));
    }
    if (op >= 0xb0 && op <= 0xb7) return done(len0 + 1, unk(byteReg((op & 7) | ((rex & 1) << 3)))); // mov r8, imm8
    if (op >= 0xb8 && op <= 0xbf) { // mov r, imm
      const r = D((op & 7) | ((rex & 1) << 3));
      if (W) return done(len0 + 8, [set(r, { k: 'c', v: BigInt.asUintN(64, imm(start + len0, 8)) })]);
      if (opsize16) return done(len0 + 2, unk(r));
      return done(len0 + 4, [set(r, { k: 'c', v: BigInt.asUintN(32, imm(start + len0, 4)) })]);
    }
    switch (op) {
      case 0x04: case 0x0c: case 0x14: case 0x1c: case 0x24: case 0x2c: case 0x34: return done(len0 + 1, unk(0)); // alu al, imm8
      case 0x3c: case 0xa8: return done(len0 + 1, []); // cmp/test al, imm8
      case 0x05: case 0x0d: case 0x15: case 0x1d: case 0x25: case 0x2d: case 0x35: return done(len0 + iz, unk(0));
      case 0x3d: case 0xa9: return done(len0 + iz, []);
      case 0x68: return done(len0 + iz, pushOf({ k: 'c', v: BigInt.asUintN(64, imm(start + len0, iz)) })); // push imm
      case 0x6a: return done(len0 + 1, pushOf({ k: 'c', v: BigInt.asUintN(64, imm(start + len0, 1)) }));
      case 0x98: return done(len0, unk(0)); // cbw/cwde/cdqe
      case 0x99: return done(len0, unk(1)); // cwd/cdq/cqo
      case 0x9b: return done(len0, []); // fwait
      case 0x9c: return done(len0, pushOf({ k: 'unk' })); // pushf
      case 0x9d: return done(len0, [set(XSP, regE(XSP, 8n))]); // popf
      case 0x9e: return done(len0, []); // sahf
      case 0x9f: return done(len0, unk(0)); // lahf
      case 0xa0: case 0xa1: return done(len0 + (addr32 ? 4 : 8), unk(0)); // mov al/rax, moffs
      case 0xa2: case 0xa3: return done(len0 + (addr32 ? 4 : 8), []); // mov moffs, al/rax (absolute address)
      case 0xa4: case 0xa5: return done(len0, unk(4, 5, 2)); // movs (rep: rcx)
      case 0xa6: case 0xa7: return done(len0, unk(4, 5, 2)); // cmps
      case 0xaa: case 0xab: return done(len0, unk(5, 2)); // stos
      case 0xac: case 0xad: return done(len0, unk(0, 4, 2)); // lods
      case 0xae: case 0xaf: return done(len0, unk(5, 2)); // scas
      case 0xc2: return done(len0 + 2, [], 'stop'); // ret imm16
      case 0xc3: return done(len0, [], 'stop'); // ret
      case 0xc9: // leave: rsp = rbp; pop rbp
        return done(len0, [set(XSP, regE(XBP)), ...popTo(XBP)]);
      case 0xcc: case 0xf1: return done(len0, []); // int3, int1
      case 0xca: return done(len0 + 2, HAVOC, 'stop'); // far ret
      case 0xcb: case 0xcf: return done(len0, HAVOC, 'stop'); // far ret, iret
      case 0xd7: return done(len0, unk(0)); // xlat
      case 0xcd: return done(len0 + 1, unk(0, 2, 11)); // int imm8
      case 0xe0: case 0xe1: case 0xe2: return done(len0 + 1, unk(2), 'branch', rel(len0 + 1, 1)); // loop
      case 0xe3: return done(len0 + 1, [], 'branch', rel(len0 + 1, 1)); // jrcxz
      case 0xe8: if (opsize16) return null; return done(len0 + 4, [{ o: 'call' }], 'call', rel(len0 + 4, 4));
      case 0xe9: if (opsize16) return null; return done(len0 + 4, [], 'jump', rel(len0 + 4, 4));
      case 0xeb: return done(len0 + 1, [], 'jump', rel(len0 + 1, 1));
      case 0xf4: return done(len0, []); // hlt (faults in user mode)
      case 0xf5: case 0xf8: case 0xf9: case 0xfa: case 0xfb: case 0xfc: case 0xfd: return done(len0, []); // flag ops
    }
    return null;
  }

  // 0F map.
  if (p >= limit) return null;
  const op2 = code[p++]!;
  if (op2 === 0x38 || op2 === 0x3a) {
    if (p >= limit) return null;
    const op3 = code[p++]!;
    const m = readModRM(code, p, rex, seg, addr32);
    if (!m) return null;
    const len = p - start + m.len + (op2 === 0x3a ? 1 : 0);
    const rmD = m.mod === 3 ? D(m.rm) : null;
    if (op2 === 0x38 && op3 >= 0xf0) return done(len, [...unk(D(m.reg)), ...(rmD !== null ? unk(rmD) : [])]); // movbe, crc32, adcx, adox, ...
    if (op2 === 0x3a && op3 >= 0x14 && op3 <= 0x17) return done(len, rmD !== null ? unk(rmD) : []); // pextr*, extractps
    return done(len, []);
  }
  if (X86_BAD2.has(op2)) return null;
  const len0 = p - start;
  if (op2 >= 0x80 && op2 <= 0x8f) return done(len0 + 4, [], 'branch', rel(len0 + 4, 4)); // jcc rel32
  if (X86_NOMODRM2.has(op2)) {
    switch (op2) {
      case 0x05: return done(len0, unk(0, 2, 11)); // syscall
      case 0x0b: return done(len0, []); // ud2 (faults)
      case 0x31: return done(len0, unk(0, 1)); // rdtsc
      case 0xa2: return done(len0, unk(0, 3, 2, 1)); // cpuid
      case 0x77: return done(len0, []); // emms
      default:
        if (op2 >= 0xc8 && op2 <= 0xcf) return done(len0, unk(D((op2 & 7) | ((rex & 1) << 3)))); // bswap
        return done(len0, HAVOC);
    }
  }
  const m = readModRM(code, p, rex, seg, addr32);
  if (!m) return null;
  const len = len0 + m.len + (X86_IMM8_2.has(op2) ? 1 : 0);
  const regD = D(m.reg);
  const rmD = m.mod === 3 ? D(m.rm) : null;
  const size = W ? 8 : opsize16 ? 2 : 4;
  const toRm = (): Op[] => (m.mod === 3 ? unk(rmD!) : [{ o: 'store', addr: m.addr, size, e: { k: 'unk' } }]);
  switch (op2) {
    case 0x00: return done(len, toRm()); // sldt, str, ...
    case 0x01: return done(len, [...unk(0, 1, 2), ...(m.mod === 3 ? [] : [{ o: 'store', addr: m.addr, size: 10, e: { k: 'unk' } } as Op])]); // xgetbv, rdtscp, ...
    case 0x02: case 0x03: return done(len, unk(regD)); // lar, lsl
    case 0x1f: return nop(done(len, [])); // nop r/m
    case 0x0d: case 0x18: case 0x19: case 0x1a: case 0x1b: case 0x1c: case 0x1d: return done(len, []); // prefetch, hint nops
    case 0x1e: // endbr64 / endbr32 / nop; rdssp writes r/m
      if (m.mod === 3 && rep === 0xf3 && ((m.reg & 7) === 1) && code[p] !== 0xfa && code[p] !== 0xfb) return done(len, unk(rmD!));
      return done(len, []);
    case 0x2c: case 0x2d: return done(len, unk(regD)); // cvt(t)ss2si / sd2si
    case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45: case 0x46: case 0x47:
    case 0x48: case 0x49: case 0x4a: case 0x4b: case 0x4c: case 0x4d: case 0x4e: case 0x4f: return done(len, unk(regD)); // cmovcc
    case 0x50: case 0xc5: case 0xd7: return done(len, unk(regD)); // movmskps, pextrw, pmovmskb
    case 0x7e: return done(len, rep !== 0xf3 && m.mod === 3 ? unk(rmD!) : []); // movd/movq r/m, xmm
    case 0x90: case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97:
    case 0x98: case 0x99: case 0x9a: case 0x9b: case 0x9c: case 0x9d: case 0x9e: case 0x9f: // setcc r/m8
      return done(len, m.mod === 3 ? unk(rex === 0 && (m.rm & 7) >= 4 && m.rm < 8 ? D(m.rm - 4) : rmD!) : [{ o: 'store', addr: m.addr, size: 1, e: { k: 'unk' } }]);
    case 0xa3: case 0xba: // bt r/m, r / group 8
      if (op2 === 0xa3 || (m.reg & 7) === 4) return done(len, []);
      return done(len, toRm());
    case 0xab: case 0xb3: case 0xbb: return done(len, toRm()); // bts, btr, btc
    case 0xa4: case 0xa5: case 0xac: case 0xad: return done(len, toRm()); // shld, shrd
    case 0xae: return done(len, m.mod === 3 ? unk(rmD!) : []); // fences, rdfsbase (r); fxsave/ldmxcsr/... (memory)
    case 0xaf: return done(len, unk(regD)); // imul
    case 0xb0: case 0xb1: return done(len, [...unk(0), ...toRm()]); // cmpxchg
    case 0xb2: case 0xb4: case 0xb5: return done(len, unk(regD));
    case 0xb6: case 0xb7: case 0xbe: case 0xbf: return done(len, unk(regD)); // movzx, movsx
    case 0xb8: case 0xbc: case 0xbd: return done(len, unk(regD)); // popcnt, bsf/tzcnt, bsr/lzcnt
    case 0xc0: case 0xc1: return done(len, [...unk(regD), ...toRm()]); // xadd
    case 0xc3: return done(len, [{ o: 'store', addr: m.addr, size, e: { k: 'unk' } }]); // movnti
    case 0xc7: return done(len, [...unk(0, 1), ...toRm()]); // cmpxchg8b/16b, rdrand, rdseed
    case 0x20: case 0x21: case 0x22: case 0x23: case 0x78: case 0x79: case 0xb9: case 0xff:
      return done(len, HAVOC);
  }
  // Everything else here (SSE/MMX arithmetic, moves between vector registers and memory) writes no general register.
  return done(len, []);
}

function pushOf(e: Expr): Op[] {
  return [{ o: 'store', addr: { base: XSP, off: -8n }, size: 8, e }, set(XSP, regE(XSP, -8n))];
}

function popTo(r: number): Op[] {
  if (r === XSP) return unk(XSP); // pop rsp
  return [set(r, { k: 'load', addr: { base: XSP, off: 0n }, size: 8 }), set(XSP, regE(XSP, 8n))];
}

/** Exchange two registers (through a scratch pseudo register). */
function swap(a: number, b: number): Op[] {
  return [set(T1, regE(a)), set(a, regE(b)), set(b, regE(T1)), set(T1, { k: 'unk' })];
}

function decodeX86Vex(code: Uint8Array, start: number, at: number, kind: number, addr: bigint, limit: number, badPrefix: boolean): Insn | null {
  if (badPrefix) return null; // VEX/EVEX after REX, 66, F2 or F3 is #UD
  let p = at + 1;
  let map: number;
  let vvvv: number;
  let rex = 0;
  if (kind === 0xc5) {
    if (p >= limit) return null;
    const b = code[p++]!;
    map = 1;
    rex = b & 0x80 ? 0 : 4;
    vvvv = (~b >>> 3) & 0xf;
  } else if (kind === 0xc4) {
    if (p + 1 >= limit) return null;
    const b1 = code[p++]!;
    const b2 = code[p++]!;
    map = b1 & 0x1f;
    rex = (b1 & 0x80 ? 0 : 4) | (b1 & 0x40 ? 0 : 2) | (b1 & 0x20 ? 0 : 1) | (b2 & 0x80 ? 8 : 0);
    vvvv = (~b2 >>> 3) & 0xf;
  } else {
    if (p + 2 >= limit) return null;
    const p0 = code[p++]!;
    const p1 = code[p++]!;
    p++;
    if ((p1 & 4) === 0) return null;
    map = p0 & 7;
    rex = (p0 & 0x80 ? 0 : 4) | (p0 & 0x40 ? 0 : 2) | (p0 & 0x20 ? 0 : 1) | (p1 & 0x80 ? 8 : 0);
    vvvv = (~p1 >>> 3) & 0xf;
  }
  if (map < 1 || map > 6 || map === 4) return null;
  if (p >= limit) return null;
  const op = code[p++]!;
  if (kind !== 0x62 && map === 1 && op === 0x77) return mk(addr, p - start, []); // vzeroupper / vzeroall
  const m = readModRM(code, p, rex, false, false);
  if (!m) return null;
  const immLen = map === 3 || (map === 1 && (X86_IMM8_2.has(op) && op !== 0xa4 && op !== 0xac && op !== 0xba)) ? 1 : 0;
  const len = p - start + m.len + immLen;
  if (start + len > limit) return null;
  const D = (r: number) => X86_DWARF[r]!;
  const gprWriter =
    (map === 1 && [0x2c, 0x2d, 0x50, 0x7e, 0x93, 0xc5, 0xd7].includes(op)) ||
    (map === 2 && op >= 0xf0) ||
    (map === 3 && ((op >= 0x14 && op <= 0x17) || op === 0xf0));
  if (!gprWriter) return mk(addr, len, []);
  return mk(addr, len, unk(D(m.reg), ...(m.mod === 3 ? [D(m.rm)] : []), D(vvvv)));
}
