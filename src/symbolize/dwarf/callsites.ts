// Call-site records (DWARF 5 §3.4 "Call Site Entries"; DW_TAG_GNU_call_site before DWARF 5),
// read as gdb 13 reads them (dwarf2/read.c, read_call_site_scope) for its tail-call frames
// (src/unwind/tailcall.ts), one unit at a time and only when a tail-call search reaches
// that unit:
//
//   * a call site is keyed by its return pc: DW_AT_call_return_pc, else DW_AT_low_pc (the
//     GNU form). One without either is ignored, as gdb ignores clang's tail calls that carry
//     only DW_AT_call_pc; a second site with the same pc is ignored too;
//   * only sites inside a subprogram (or inlined subroutine) that has code are read;
//   * a site with DW_AT_call_tail_call (DW_AT_GNU_tail_call) joins its subprogram's list of
//     tail calls only when that subprogram says its list is complete (DW_AT_call_all_calls,
//     DW_AT_call_all_tail_calls or their GNU forms): otherwise a chain through it could not
//     be unambiguous. gdb prepends to the list, so it is kept last site first;
//   * the target is DW_AT_call_target, DW_AT_GNU_call_site_target, DW_AT_call_origin or
//     DW_AT_abstract_origin, first found; resolving it is the caller's (DwarfInfo.callTarget).

import * as C from './constants.js';
import { Reader, type DwarfSection } from './reader.js';
import { readDie, type DieAttrs, type UnitCtx } from './unit.js';

/**
 * Where a call goes, as far as a tail-call search may know without the caller's registers:
 * nowhere said ('none'), a DWARF expression over the caller's registers ('expr'), a
 * declaration to look up by its linkage name in the symbol table ('name'), or entry
 * addresses: the low pc of the target, or the start of each of its ranges (a function
 * split into hot and cold parts).
 */
export type CallTarget = { kind: 'none' } | { kind: 'expr' } | { kind: 'name'; name: string } | { kind: 'addrs'; addrs: bigint[] };

export interface CallSiteRecord {
  /** The return pc: the address after the call (or the tail-call jump). */
  pc: bigint;
  tail: boolean;
  target: CallTarget;
}

export interface UnitCallSites {
  byPc: Map<bigint, CallSiteRecord>;
  /** Per subprogram (DIE offset): its tail calls, when it lists all of them; last site first. */
  tailCalls: Map<number, CallSiteRecord[]>;
}

/** A flag-class value (§7.5.5): DW_FORM_flag_present, or a non-zero DW_FORM_flag. */
export function flagTrue(v: { form: number; value: unknown } | undefined): boolean {
  if (!v) return false;
  if (v.form === C.DW_FORM_flag_present) return true;
  return typeof v.value === 'number' ? v.value !== 0 : typeof v.value === 'bigint' ? v.value !== 0n : false;
}

export interface CallSiteDeps {
  /** Where a call site goes (its target attribute resolved). */
  target(ctx: UnitCtx, die: DieAttrs): CallTarget;
  /** Whether the subprogram at this DIE offset lists all its (tail) calls. */
  listsAllCalls(subprogram: number): boolean;
  /** A DIE's code ranges (null or empty when it has none, or they are corrupt). */
  ranges(ctx: UnitCtx, die: DieAttrs): [bigint, bigint][] | null;
}

/** Walk one unit's DIE tree for its call sites (§2.3: children follow their parent, a null entry ends a sibling chain). */
export function readCallSites(ctx: UnitCtx, info: DwarfSection, deps: CallSiteDeps): UnitCallSites {
  const out: UnitCallSites = { byPc: new Map(), tailCalls: new Map() };
  const h = ctx.h;
  const r = new Reader(info, h.dieOffset, h.end);
  const unitDie = readDie(r, h, ctx.abbrevs);
  if (!unitDie || !unitDie.hasChildren) return out;
  /** Per open DIE: the subprogram its call sites belong to (null: not in code gdb reads). */
  const stack: (number | null)[] = [];
  let owner: number | null = null;
  let depth = 1;
  while (!r.atEnd) {
    const die = readDie(r, h, ctx.abbrevs);
    if (!die) {
      if (--depth === 0) return out;
      owner = stack.pop() ?? null;
      continue;
    }
    let childOwner = owner;
    if (die.tag === C.DW_TAG_subprogram || die.tag === C.DW_TAG_inlined_subroutine) {
      // gdb reads a function's children only when it has code (read_func_scope).
      const hasCode = !!deps.ranges(ctx, die)?.length;
      childOwner = !hasCode ? null : die.tag === C.DW_TAG_subprogram ? die.offset : owner;
    } else if ((die.tag === C.DW_TAG_call_site || die.tag === C.DW_TAG_GNU_call_site)  && owner !== null) {
      record(ctx, die, owner, out, deps);
    }
    if (die.hasChildren) {
      stack.push(owner);
      owner = childOwner;
      depth++;
    }
  }
  throw r.error('DIE tree is not terminated before the end of the unit', h.end);
}

function record(ctx: UnitCtx, die: DieAttrs, owner: number, out: UnitCallSites, deps: CallSiteDeps): void {
  const pcAttr = die.callReturnPc ?? die.lowPc;
  if (!pcAttr) return;
  const pc = ctx.address(pcAttr);
  if (out.byPc.has(pc)) return;
  const site: CallSiteRecord = { pc, tail: flagTrue(die.tailCall), target: deps.target(ctx, die) };
  out.byPc.set(pc, site);
  if (site.tail && deps.listsAllCalls(owner)) {
    const list = out.tailCalls.get(owner);
    if (list) list.unshift(site);
    else out.tailCalls.set(owner, [site]);
  }
}
