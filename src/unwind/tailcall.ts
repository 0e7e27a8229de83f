// Tail-call frames, as gdb builds them (gdb 13: dwarf2/frame-tailcall.c, and the chain search
// of dwarf2/loc.c, call_site_find_chain). A function that ends in a tail call is not on the
// stack: its frame was replaced by its callee's, which returns straight to the caller. From
// DWARF's call-site records (DW_TAG_call_site) gdb works out which functions must have
// tail-called their way from the caller to the callee, and shows each as a frame of its
// own. The rules, all of which this file keeps:
//
//   * Only a frame unwound by its CFI gets them (gdb's DWARF unwinder asks; its prologue
//     analyzers do not), between it and its caller. The caller's return address must be
//     the return pc of a call site in the caller's unit (none: no frames).
//   * The search starts from that call site's targets and, for a target that is not the
//     callee's function, goes on through the tail calls of that target's function: only a
//     function whose DW_AT_call_all_calls (or ..._tail_calls) says its list is complete
//     has one, and the target must be the exact entry of a function DWARF describes. Each
//     path that reaches the callee's function entry is a candidate chain of tail-call
//     sites; a site already on the current path is not entered again.
//   * Anything it cannot know without registers ends the whole search with no frames: a
//     call site whose target is a DWARF expression (an indirect call) or is not given, a
//     target that is no function's entry, a declaration whose name no symbol has.
//   * Ambiguity: the candidates are intersected, keeping only the sites common to the start
//     of every chain (callers) and to the end of every chain (callees). A direct call among
//     the candidates (a chain of length 0) leaves nothing in common, and when nothing is
//     left the search ends with no frames: gdb shows nothing rather than a guess. When the
//     common start and end leave a gap, only those sites are shown (callees nearest the
//     callee first, then the callers).
//   * Each frame's pc is its call site's return pc (the address after the tail-call jump);
//     its name and line are looked up one byte back, as for any caller frame, and it gets
//     no inlined frames of its own (gdb's tail-call unwinder claims it before the inline one).

/** What the search needs from DWARF (and the symbol table): src/symbolize implements it. */
export interface CallSiteGraph<S extends { pc: bigint }> {
  /** The call site whose return pc is pc (gdb's call_site_for_pc), or null. */
  siteAt(pc: bigint): S | null;
  /** Where a call site goes, without a frame's registers; throws NoChain when that cannot be known. */
  targets(site: S): bigint[];
  /** The tail-call sites of the function whose entry is exactly addr (in gdb's list order); throws NoChain when addr is no function's entry. */
  tailCallsOf(addr: bigint): readonly S[];
  /** The entry of the function containing pc (DWARF's, else the symbol's), or null (gdb's get_pc_function_start). */
  functionStart(pc: bigint): bigint | null;
}

/** The search cannot be completed without guessing (gdb's NO_ENTRY_VALUE_ERROR): no tail-call frames. */
export class NoChain extends Error {}

interface Chain<S> {
  sites: S[];
  callers: number;
  callees: number;
}

/**
 * The pcs of the tail-call frames between a callee (at calleePc: its pc, or its return
 * address - 1) and its caller (callerPc: the return address into it), innermost first.
 */
export function tailCallFrames<S extends { pc: bigint }>(g: CallSiteGraph<S>, callerPc: bigint, calleePc: bigint): bigint[] {
  let chain: Chain<S> | null;
  try {
    chain = findChain(g, callerPc, calleePc);
  } catch (e) {
    if (e instanceof NoChain) return [];
    throw e;
  }
  if (!chain || chain.sites.length === 0) return [];
  const { sites, callers, callees } = chain;
  const length = sites.length;
  const levels = callers === length && callees === length ? length : callers + callees;
  const out: bigint[] = [];
  for (let level = 0; level < levels; level++) {
    // gdb's pretend_pc: first the callees (the site nearest the callee first), then the callers.
    if (level < callees) out.push(sites[length - level - 1]!.pc);
    else if (callees !== length && level - callees < callers) out.push(sites[callers - (level - callees) - 1]!.pc);
  }
  return out;
}

function findChain<S extends { pc: bigint }>(g: CallSiteGraph<S>, callerPc: bigint, calleePc: bigint): Chain<S> | null {
  const callee = g.functionStart(calleePc);
  if (callee === null) throw new NoChain(`no function at ${calleePc.toString(16)}`);
  const start = g.siteAt(callerPc);
  if (!start) throw new NoChain(`no call site returns to ${callerPc.toString(16)}`);
  let result: Chain<S> | null = null;
  let failed = false;
  const path: S[] = [];
  const onPath = new Set<bigint>();

  /** Intersect the candidate `path` into the result; false when nothing unambiguous is left. */
  const candidate = (): boolean => {
    const length = path.length;
    if (!result) {
      result = { sites: [...path], callers: length, callees: length };
      return true;
    }
    const r: Chain<S> = result;
    const callers = Math.min(r.callers, length);
    for (let i = 0; i < callers; i++) {
      if (r.sites[i] !== path[i]) {
        r.callers = i;
        break;
      }
    }
    const callees = Math.min(r.callees, length);
    for (let i = 0; i < callees; i++) {
      if (r.sites[r.sites.length - 1 - i] !== path[length - 1 - i]) {
        r.callees = i;
        break;
      }
    }
    if (r.callers === 0 && r.callees === 0) {
      result = null;
      return false;
    }
    return true;
  };

  /** Depth first from `site` (gdb's call_site_find_chain_2); false ends the whole search. */
  const visit = (site: S): boolean => {
    const others: bigint[] = [];
    let exact = false;
    for (const t of g.targets(site)) {
      if (t === callee) exact = true;
      else others.push(t);
    }
    if (exact) return candidate() || ((failed = true), false);
    for (const t of others) {
      for (const next of g.tailCallsOf(t)) {
        if (onPath.has(next.pc)) continue;
        onPath.add(next.pc);
        path.push(next);
        if (!visit(next)) return false;
        path.pop();
        onPath.delete(next.pc);
      }
    }
    return true;
  };

  visit(start);
  if (failed || !result) throw new NoChain('no unambiguous chain of tail calls');
  return result;
}
