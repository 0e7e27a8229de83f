// Epilogue analysis: where a function's own code will leave the caller's registers, read
// forward from pc to the function's return, for frame #0 only.
//
// Call frame information can be stale at some pcs. Clang 14 emits none for RISC-V epilogues
// (after `addi sp, sp, 16` the row still puts the CFA 16 bytes up and the return address in
// a slot of the frame that is gone) and only "synchronous" tables for AArch64 (rows exact at
// call sites, not in the prologue, the epilogue or a shrink-wrapped early return); at -O0
// the RISC-V CFA is s0-based and s0 is reloaded before `ret`. A caller frame is always at a
// call site, where such tables are exact; frame #0 can be anywhere. gdb knows the problem
// (gdbarch_stack_frame_destroyed_p, amd64_epilogue_frame: a frame whose code has already
// torn it down is not unwound by its CFI) but has no such check for AArch64 or RISC-V, so it
// follows the stale row to a wrong or garbage frame there.
//
// This module gives the row the code itself proves: from pc, the instructions are decoded
// (./isa/) and executed symbolically, each register's value being an expression over the
// registers and memory as they are at pc (r + k, or the word at r + k). When a straight line
// of understood instructions (unconditional direct jumps inside the function are followed)
// reaches a return (`ret`, `jalr x0, 0(ra)`), or a direct jump out of the function (a tail
// call: the callee returns to this function's caller), the caller's registers are known
// exactly: the return address is ra (or, on x86-64, the word at rsp) as it will be then, the
// CFA is sp as it will be then (rsp + 8 on x86-64), and each callee-saved register holds
// what the code put back. No path choice, no guess: if anything on the way is a
// conditional branch, a call, a store, an indirect jump, an instruction not understood, or
// the result is not expressible as a row, there is no answer (null). Stores end the scan
// because the loads after them could read what they wrote (an epilogue only loads).
//
// The walker (./walker.ts) compares this row with the CFI row at frame #0 and uses it only
// when the two disagree about the caller's pc or CFA: where the CFI is right they agree (the
// code is what will run), so correct CFI is never overridden.

import type { CfiRow, RegRule } from './cfi.js';
import { ZR, type Expr, type Insn } from './isa/insn.js';
import { ARCHES, type ArchInfo, type PrologueArch } from './prologue.js';

/** Instructions followed at most from pc to the return. */
const MAX_INSNS = 64;

/** A value as an expression of the machine state at pc; absent = not known. */
type Val = { k: 'c'; v: bigint } | { k: 'reg'; r: number; add: bigint } | { k: 'mem'; r: number; off: bigint };

class Forward {
  readonly mask: bigint;
  readonly ptr: number;
  private readonly regs = new Map<number, Val | null>();
  constructor(readonly arch: ArchInfo) {
    this.mask = (1n << BigInt(arch.xlen)) - 1n;
    this.ptr = arch.xlen / 8;
  }

  get(r: number): Val | undefined {
    if (r === ZR) return { k: 'c', v: 0n };
    const v = this.regs.get(r);
    if (v === undefined) return { k: 'reg', r, add: 0n }; // not written since pc
    return v ?? undefined;
  }

  private addConst(a: Val | undefined, b: bigint): Val | undefined {
    if (!a) return undefined;
    if (a.k === 'c') return { k: 'c', v: (a.v + b) & this.mask };
    if (a.k === 'reg') return { k: 'reg', r: a.r, add: BigInt.asIntN(this.arch.xlen, a.add + b) };
    return b === 0n ? a : undefined;
  }

  private evalExpr(e: Expr): Val | undefined {
    switch (e.k) {
      case 'c': return { k: 'c', v: e.v & this.mask };
      case 'unk': return undefined;
      case 'reg': return this.addConst(this.get(e.r), e.add);
      case 'reg2': {
        const a = this.get(e.a);
        const b = this.get(e.b);
        if (b?.k === 'c') {
          const d = BigInt.asIntN(this.arch.xlen, (b.v << BigInt(e.shift)) & this.mask);
          return this.addConst(a, e.neg ? -d : d);
        }
        if (!e.neg && e.shift === 0 && a?.k === 'c') return this.addConst(b, BigInt.asIntN(this.arch.xlen, a.v));
        return undefined;
      }
      case 'load': {
        if (!e.addr || e.size !== this.ptr) return undefined;
        const base = this.get(e.addr.base);
        return base?.k === 'reg' ? { k: 'mem', r: base.r, off: base.add + e.addr.off } : undefined;
      }
      case 'movk': {
        const v = this.get(e.r);
        return v?.k === 'c' ? { k: 'c', v: (v.v & e.keep) | e.imm } : undefined;
      }
    }
  }

  /** Apply one instruction; false when its effect is not one this scan may follow. */
  step(insn: Insn): boolean {
    if (insn.unknown) return false;
    for (const op of insn.ops) {
      if (op.o !== 'set') return false; // a store, a call, PAC signing: not an epilogue
      if (op.rd === ZR) continue;
      let v = this.evalExpr(op.e);
      if (op.ext && this.arch.xlen === 64) v = v?.k === 'c' ? { k: 'c', v: op.ext === 'z' ? v.v & 0xffff_ffffn : BigInt.asUintN(64, BigInt.asIntN(32, v.v)) } : undefined;
      this.regs.set(op.rd, v ?? null);
    }
    return true;
  }
}

/** Whether `insn` is a plain return to the address in the link register (or at [rsp]). */
function isReturn(arch: PrologueArch, insn: Insn, code: Uint8Array, at: number): boolean {
  if (insn.flow !== 'stop' || insn.unknown) return false;
  switch (arch) {
    case 'x86-64': return code[at + insn.len - 1] === 0xc3; // ret (not ret imm16, far ret, iret)
    case 'aarch64': return insn.len === 4 && (code[at]! | (code[at + 1]! << 8) | (code[at + 2]! << 16) | (code[at + 3]! << 24)) >>> 0 === 0xd65f03c0; // ret x30
    default: return true; // the RISC-V decoder gives 'stop' only for jalr x0, 0(ra) and c.jr ra
  }
}

/**
 * The row the code from pc to the function's return proves at pc, or null when the path is
 * not a straight line of understood, store-free instructions ending in a return or a tail
 * call. `code` holds the function's bytes from `funcStart` to `funcEnd`.
 */
export function epilogueRow(
  arch: PrologueArch,
  code: Uint8Array,
  funcStart: bigint,
  funcEnd: bigint,
  pc: bigint,
  isFunctionStart: (addr: bigint) => boolean,
): CfiRow | null {
  const info = ARCHES[arch];
  const f = new Forward(info);
  let at = pc;
  const seen = new Set<bigint>();
  for (let n = 0; n < MAX_INSNS; n++) {
    if (at < funcStart || at >= funcEnd || seen.has(at)) return null;
    seen.add(at);
    const off = Number(at - funcStart);
    const insn = info.decode(code, off, at);
    if (!insn || off + insn.len > code.length) return null;
    if (isReturn(arch, insn, code, off)) return rowAtReturn(info, f, pc, funcStart, funcEnd);
    if (insn.flow === 'jump' && insn.target !== undefined) {
      if (!f.step(insn)) return null;
      if (insn.target < funcStart || insn.target >= funcEnd) {
        // A tail call (to another function's entry); a jump anywhere else leaves the function's bounds we know.
        return isFunctionStart(insn.target) ? rowAtReturn(info, f, pc, funcStart, funcEnd) : null;
      }
      at = insn.target;
      continue;
    }
    if (insn.flow !== 'next' || !f.step(insn)) return null;
    at += BigInt(insn.len);
  }
  return null;
}

/** The row at pc once the scan reached the return with state `f`. */
function rowAtReturn(info: ArchInfo, f: Forward, pc: bigint, fdeStart: bigint, fdeEnd: bigint): CfiRow | null {
  const sp = f.get(info.sp);
  if (sp?.k !== 'reg') return null;
  // The caller's sp: sp at the return (x86-64: after `ret` pops the return address).
  const cfaOff = sp.add + (info.raInMemory ? BigInt(f.ptr) : 0n);
  const cfaReg = sp.r;
  const rule = (v: Val | undefined, reg: number): RegRule | 'same' | null => {
    if (!v) return null;
    if (v.k === 'reg' && v.add === 0n) return v.r === reg ? 'same' : { kind: 'register', reg: v.r };
    if (v.k === 'mem' && v.r === cfaReg) return { kind: 'offset', offset: v.off - cfaOff };
    return null; // a value the row cannot say (a constant, an address, a load through another register)
  };
  const regs = new Map<number, RegRule>();
  const ra = info.raInMemory ? ({ k: 'mem', r: sp.r, off: sp.add } as Val) : f.get(info.ra);
  for (const [reg, v] of [[info.ra, ra], ...info.calleeSaved.map((r) => [r, f.get(r)] as const)] as const) {
    const r = rule(v, reg);
    if (r === null) return null;
    if (r !== 'same') regs.set(reg, r);
  }
  return { fdeStart, fdeEnd, rowStart: pc, cfa: { kind: 'reg', reg: cfaReg, offset: cfaOff }, regs, returnColumn: info.ra, signalFrame: false, section: 'epilogue' };
}
