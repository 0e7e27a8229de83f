// Function entries and extents in a program without symbols, for the code that has no CFI
// either (a stripped static musl program: musl's libc has no FDEs). The prologue analysis
// needs a function's start; without .symtab and without an FDE there is none to take, and
// the frame could only be guessed at. This finds the functions the code itself names, the
// way a disassembler's recursive traversal does:
//
//   * from the known entries (the ELF entry point, every FDE's start) every direct call,
//     jump and branch is followed through the decoded code (./isa/); the target of every
//     direct call is a function entry (a RISC-V `auipc ra; jalr ra` pair is a direct call
//     too), and so is every code address the code takes: x86-64 `lea reg, [rip + disp]`,
//     AArch64 `adrp; add`, RISC-V `auipc; addi` or `lui; addi` (a function called through a pointer, as
//     musl calls libc_start_main_stage2). Only code reached from an entry is decoded, so
//     data in code is not read as instructions unless something jumps into it;
//   * a function runs from its entry, instruction by instruction, until an instruction that
//     does not fall through (a return, a jump, a trap), or a call followed by padding (a
//     call that never returns), past which no branch of the function has led; and never
//     past the next entry or FDE start;
//   * a direct jump from inside one function to outside it is a tail call: its target is an
//     entry too (musl's qsort jumps to __qsort_r), and the extents are worked out again.
//
// What this cannot see (a function reached only through a pointer computed another way)
// stays without bounds: its frame cannot be unwound, and the walk says so. The walker
// checks every return address that a row from such an entry gives (./walker.ts).

import type { Insn } from './isa/insn.js';
import { ARCHES, type PrologueArch } from './prologue.js';

/** Instructions decoded at most by the traversal (a static glibc program has about 200,000). */
const MAX_INSNS = 2_000_000;
/** Rounds of "a jump out of its function is a tail call" at most. */
const MAX_ROUNDS = 4;

export interface CodeSegment {
  addr: bigint;
  bytes: Uint8Array;
}

export interface Functions {
  /** Entries, ascending. */
  starts: bigint[];
  /** The end of each (exclusive). */
  ends: bigint[];
}

const asc = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

/** The functions found from `seeds`; `bounds` (FDE starts) end a function too. */
export function findFunctions(arch: PrologueArch, segments: readonly CodeSegment[], seeds: Iterable<bigint>, bounds: readonly bigint[] = []): Functions {
  const decodeAt = ARCHES[arch].decode;
  const segOf = (a: bigint) => segments.find((s) => a >= s.addr && a < s.addr + BigInt(s.bytes.length)) ?? null;
  const decode = (a: bigint): Insn | null => {
    const seg = segOf(a);
    return seg ? decodeAt(seg.bytes, Number(a - seg.addr), a) : null;
  };
  const entries = new Set<bigint>();
  const decoded = new Set<bigint>();
  const jumps: [bigint, bigint][] = [];
  const work: bigint[] = [];
  const entry = (a: bigint) => {
    if (!segOf(a) || entries.has(a)) return;
    entries.add(a);
    work.push(a);
  };
  for (const s of seeds) entry(s);
  let budget = MAX_INSNS;
  const traverse = () => {
    while (work.length && budget > 0) {
      let at = work.pop()!;
      let prev: bigint | null = null; // the instruction before, on this straight line
      for (;;) {
        if (decoded.has(at) || budget-- <= 0) break;
        const insn = decode(at);
        if (!insn) break;
        decoded.add(at);
        if (insn.target !== undefined && segOf(insn.target)) {
          if (insn.flow === 'call') entry(insn.target);
          else if (insn.flow === 'branch' || insn.flow === 'jump') work.push(insn.target);
          if (insn.flow === 'jump') jumps.push([at, insn.target]);
        }
        const pc = addressTaken(arch, segOf(at)!, insn, at, prev);
        if (pc !== null && segOf(pc.target)) {
          if (pc.jump) {
            work.push(pc.target);
            jumps.push([at, pc.target]);
          } else entry(pc.target);
        }
        if (insn.flow !== 'next' && insn.flow !== 'branch' && insn.flow !== 'call') break;
        prev = at;
        at += BigInt(insn.len);
      }
    }
  };
  traverse();
  let fns: Functions = { starts: [], ends: [] };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const starts = [...entries].sort(asc);
    const limits = [...new Set([...starts, ...bounds])].sort(asc);
    const ends = starts.map((e) => {
      const seg = segOf(e)!;
      const next = limits.find((b) => b > e);
      const segEnd = seg.addr + BigInt(seg.bytes.length);
      return extent(decode, e, next !== undefined && next < segEnd ? next : segEnd);
    });
    fns = { starts, ends };
    let added = false;
    for (const [from, to] of jumps) {
      const i = indexOf(fns, from);
      if (i !== null && (to < starts[i]! || to >= ends[i]!) && !entries.has(to) && indexOf(fns, to) === null) {
        entry(to);
        added = true;
      }
    }
    if (!added) break;
    traverse();
  }
  return fns;
}

/** The function containing addr: its index in `f`, or null. */
export function indexOf(f: Functions, addr: bigint): number | null {
  let lo = 0;
  let hi = f.starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (f.starts[mid]! <= addr) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && addr < f.ends[lo - 1]! ? lo - 1 : null;
}

/** Where the function at `start` ends (see the file comment), at most `limit`. */
function extent(decode: (a: bigint) => Insn | null, start: bigint, limit: bigint): bigint {
  let at = start;
  let reach = start; // the furthest address a branch of the function leads to
  let prev: Insn | null = null;
  while (at < limit) {
    const insn = decode(at);
    if (!insn) return at;
    // A call that never returns is followed by padding: the function ended with it.
    if (insn.nop && prev?.flow === 'call' && at > reach) return at;
    if (insn.target !== undefined && insn.target > reach && insn.target < limit && (insn.flow === 'branch' || insn.flow === 'jump')) {
      // A jump forward past the padding of this function is a tail call, not a branch of it.
      if (insn.flow === 'branch' || !endsHere(decode, at + BigInt(insn.len), insn.target)) reach = insn.target;
    }
    at += BigInt(insn.len);
    if ((insn.flow === 'stop' || insn.flow === 'jump' || insn.flow === 'indirect') && at > reach) return at;
    prev = insn;
  }
  return limit;
}

/**
 * Whether padding (no-ops) and nothing else lies between `from` and the jump target `to`: a
 * jump over the padding to the next function. (A jump to the very next instruction, which
 * clang emits at -O0, stays in the function; so does a tail call to a function placed
 * right after, which is harmless: that code is entered with the caller's entry state.)
 */
function endsHere(decode: (a: bigint) => Insn | null, from: bigint, to: bigint): boolean {
  if (to <= from) return false;
  for (let at = from; at < to; ) {
    const i = decode(at);
    if (!i?.nop) return false;
    at += BigInt(i.len);
  }
  return true;
}

const word = (b: Uint8Array, off: number) => (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
const sx = (v: number, bits: number) => BigInt((v << (32 - bits)) >> (32 - bits));

/**
 * A code address an instruction (with the one before it, at `prev`) takes: an entry, or,
 * for a RISC-V `auipc t; jr t` pair, a jump target (a tail call, or a branch far away).
 */
function addressTaken(arch: PrologueArch, seg: CodeSegment, insn: Insn, addr: bigint, prev: bigint | null): { target: bigint; jump?: boolean } | null {
  const b = seg.bytes;
  const off = Number(addr - seg.addr);
  if (arch === 'x86-64') {
    // lea r64, [rip + disp32]: REX.W 8D /r, mod 00, r/m 101.
    if (insn.len !== 7 || (b[off]! & 0xf8) !== 0x48 || b[off + 1] !== 0x8d || (b[off + 2]! & 0xc7) !== 0x05) return null;
    return { target: addr + 7n + sx(word(b, off + 3), 32) };
  }
  if (prev === null || insn.len !== 4 || addr - prev !== 4n) return null;
  const i = word(b, off);
  const p = word(b, off - 4);
  if (arch === 'aarch64') {
    // adrp xd, page; add xd2, xd, #imm12 (64-bit, unshifted)
    if ((p & 0x9f000000) >>> 0 !== 0x90000000 || (i & 0xffc00000) >>> 0 !== 0x91000000 || ((i >>> 5) & 31) !== (p & 31)) return null;
    const page = (prev & ~0xfffn) + (sx(((p >>> 5) & 0x7ffff) * 4 + ((p >>> 29) & 3), 21) << 12n);
    return { target: page + BigInt((i >>> 10) & 0xfff) };
  }
  // RISC-V: auipc rd, imm20 (pc-relative) or lui rd, imm20 (absolute: -mcmodel=medlow); then
  // jalr / addi with rs1 = rd.
  const hi = p & 0x7f;
  if (hi !== 0x17 && hi !== 0x37) return null;
  const rd = (p >>> 7) & 31;
  if (((i >>> 15) & 31) !== rd || rd === 0) return null;
  const target = (hi === 0x17 ? prev : 0n) + sx(p & 0xfffff000, 32) + sx(i >>> 20, 12);
  const mask = arch === 'rv32' ? 0xffff_ffffn : 0xffff_ffff_ffff_ffffn;
  const op = i & 0x7f;
  const funct3 = (i >>> 12) & 7;
  if (op === 0x67 && funct3 === 0) {
    const link = (i >>> 7) & 31;
    if (link === 1 || link === 5) return { target: target & mask }; // a call
    if (link === 0) return { target: target & mask, jump: true }; // jr: a tail call or a far jump
    return null;
  }
  if (op === 0x13 && funct3 === 0) return { target: target & mask }; // addi: an address taken (la / lla)
  return null;
}
