// A lazy DWARF reader for symbolization, in the style of gimli's addr2line: find the unit
// covering an address cheaply (.debug_aranges §6.1.2, else the unit DIE's own ranges),
// then parse that one unit's DIE tree and line program on first use and cache them.
//
// Spec references are to DWARF Debugging Information Format Version 5 (2017).

import type { ElfFile } from '../../loader/elf.js';
import { flagTrue, readCallSites, type CallSiteRecord, type CallTarget, type UnitCallSites } from './callsites.js';
import * as C from './constants.js';
import { constValue, type FormValue } from './forms.js';
import { parseLineProgram, type LinePolicy, type LineTable } from './line.js';
import { DwarfError, Reader, hexOff } from './reader.js';
import { DebugSections } from './sections.js';
import { readDie, readUnitHeader, UnitCtx, type DieAttrs, type Range, type UnitHeader } from './unit.js';

export { DwarfError } from './reader.js';
export type { CallSiteRecord, CallTarget } from './callsites.js';

export interface SourceFrame {
  /** Function name (DW_AT_name, else DW_AT_linkage_name, following DW_AT_abstract_origin / DW_AT_specification); null if unknown. */
  function: string | null;
  /** The file as the compile unit names it, relative to its DW_AT_comp_dir when inside it; null if unknown. */
  file: string | null;
  /** 0 when unknown. */
  line: number;
  /** 0 when unknown. */
  column: number;
  /** True for frames that are inlined calls (all but the outermost, real function). */
  inlined: boolean;
}

/** How many DW_AT_abstract_origin / DW_AT_specification links a name lookup follows. */
const MAX_NAME_CHASE = 16;
/** Inline nesting deeper than this is treated as corrupt. */
const MAX_INLINE_DEPTH = 256;

/** A subprogram with PC ranges, or an inlined_subroutine inside one (§3.3.8.2). */
interface ScopeNode {
  die: number;
  ranges: Range[];
  children: ScopeNode[];
  callFile: number;
  callLine: number;
  callColumn: number;
}

interface FuncIndex {
  lo: bigint[];
  hi: bigint[];
  /** max(hi[0..i]), so a backward scan can stop early even if ranges overlap. */
  maxHi: bigint[];
  node: ScopeNode[];
}

interface LoadedUnit {
  funcs: FuncIndex;
  lines: LineTable | null;
}

interface UnitEntry {
  /** null for a line-program-only pseudo unit (no .debug_info). */
  header: UnitHeader | null;
  /** .debug_line offset for a pseudo unit. */
  lineOffset: number | null;
  ctx?: UnitCtx | null;
  loaded?: LoadedUnit;
  /** Its call sites, read on the first tail-call search that reaches the unit. */
  calls?: UnitCallSites;
}

interface Interval {
  lo: bigint;
  hi: bigint;
  unit: UnitEntry;
}

export class DwarfInfo {
  readonly warnings: string[] = [];
  private readonly warned = new Set<string>();
  private readonly secs: DebugSections;
  private units: UnitEntry[] | null = null;
  private intervals: Interval[] = [];
  private maxHi: bigint[] = [];
  /** Units whose ranges are unknown (no aranges entry, no ranges on the unit DIE): tried last. */
  private fallback: UnitEntry[] = [];
  private parsed = 0;
  private readonly names = new Map<number, string | null>();

  private constructor(secs: DebugSections) {
    this.secs = secs;
    secs.onError = (e) => this.warn(e);
  }

  /** Null when the ELF has no .debug_info and no .debug_line. Reads nothing until the first lookup. */
  static fromElf(elf: ElfFile): DwarfInfo | null {
    const secs = new DebugSections(elf);
    if (!secs.has('.debug_info') && !secs.has('.debug_line')) return null;
    return new DwarfInfo(secs);
  }

  /** How many units have had their DIE tree and line program parsed so far. */
  get parsedUnits(): number {
    return this.parsed;
  }

  /** How many units the index found (after the first lookup). */
  get unitCount(): number {
    return this.units?.length ?? 0;
  }

  /**
   * Source frames for addr, innermost first, as `llvm-symbolizer --inlines` prints them.
   * Never throws; problems go to `warnings` (one line each, deduplicated).
   */
  lookup(addr: bigint, policy: LinePolicy = 'dwarf'): SourceFrame[] {
    try {
      this.ensureIndex();
      for (const u of this.unitsCovering(addr)) {
        const f = this.framesIn(u, addr, policy);
        if (f.length) return f;
      }
      for (const u of this.fallback) {
        const f = this.framesIn(u, addr, policy);
        if (f.length) return f;
      }
    } catch (e) {
      this.warn(e);
    }
    return [];
  }

  // ---- call sites (gdb's tail-call frames: src/unwind/tailcall.ts) ----------------------

  /**
   * The call site whose return pc is exactly pc, in the unit covering pc - 1 (a tail call's
   * return pc may be past its unit's end), as gdb's call_site_for_pc finds it; or null.
   */
  callSiteAt(pc: bigint): CallSiteRecord | null {
    try {
      this.ensureIndex();
      for (const u of this.unitsCovering(pc - 1n)) return this.callSitesOf(u).byPc.get(pc) ?? null;
    } catch (e) {
      this.warn(e);
    }
    return null;
  }

  /**
   * The subprogram whose code covers addr (not an inlined call: the function that owns the
   * code), with its entry pc: the start of its first range, as gdb's block entry_pc is.
   */
  functionAt(addr: bigint): { die: number; entry: bigint; tailCalls: () => readonly CallSiteRecord[] } | null {
    try {
      this.ensureIndex();
      for (const u of [...this.unitsCovering(addr), ...this.fallback]) {
        const fn = findChain(this.load(u).funcs, addr)[0];
        if (fn) return { die: fn.die, entry: fn.ranges[0]![0], tailCalls: () => this.callSitesOf(u).tailCalls.get(fn.die) ?? [] };
      }
    } catch (e) {
      this.warn(e);
    }
    return null;
  }

  private callSitesOf(u: UnitEntry): UnitCallSites {
    if (u.calls) return u.calls;
    const ctx = this.ctxOf(u);
    u.calls = { byPc: new Map(), tailCalls: new Map() };
    if (!ctx) return u.calls;
    try {
      u.calls = readCallSites(ctx, this.secs.get('.debug_info')!, {
        target: (c, die) => {
          try {
            return this.callTarget(c, die);
          } catch (e) {
            this.warn(e);
            return { kind: 'none' };
          }
        },
        listsAllCalls: (sub) => flagTrue(this.follow(sub, (d) => d.allCalls)?.[1].allCalls),
        ranges: (c, die) => this.safeRanges(c, die),
      });
    } catch (e) {
      this.warn(e);
    }
    return u.calls;
  }

  /**
   * gdb's reading of a call site's target (read_call_site_scope): a DWARF expression; a
   * reference to a declaration (looked up by name); to a function with ranges (each range's
   * start); or to one with a low and high pc (its low pc). Attributes are looked up through
   * DW_AT_specification and DW_AT_abstract_origin, as gdb's dwarf2_attr does.
   */
  private callTarget(ctx: UnitCtx, die: DieAttrs): CallTarget {
    const attr = die.callTarget ?? die.gnuCallTarget ?? die.callOrigin ?? die.abstractOrigin;
    if (!attr) return { kind: 'none' };
    if (attr.value instanceof Uint8Array) return attr.value.length ? { kind: 'expr' } : { kind: 'none' };
    const off = ctx.ref(attr);
    if (off === null) return { kind: 'none' };
    const decl = this.follow(off, (d) => d.declaration);
    if (decl && flagTrue(decl[1].declaration) && !this.follow(off, (d) => d.specification)) {
      const named = this.follow(off, (d) => d.linkageName) ?? this.follow(off, (d) => d.name);
      if (!named) return { kind: 'none' };
      const [c, d] = named;
      return { kind: 'name', name: c.str((d.linkageName ?? d.name)!) };
    }
    const withRanges = this.follow(off, (d) => d.ranges);
    if (withRanges) {
      const ranges = this.safeRanges(withRanges[0], { ...withRanges[1], lowPc: undefined, highPc: undefined });
      return { kind: 'addrs', addrs: (ranges ?? []).map(([lo]) => lo) };
    }
    const low = this.follow(off, (d) => d.lowPc);
    const high = this.follow(off, (d) => d.highPc);
    if (!low || !high) return { kind: 'none' };
    const ranges = this.safeRanges(low[0], { ...low[1], highPc: high[1].highPc });
    return ranges?.length === 1 ? { kind: 'addrs', addrs: [ranges[0]![0]] } : { kind: 'none' };
  }

  /** The first DIE, from the one at off through DW_AT_specification / DW_AT_abstract_origin, that has the attribute `pick` reads. */
  private follow(off: number, pick: (d: DieAttrs) => FormValue | undefined): [UnitCtx, DieAttrs] | null {
    const seen = new Set<number>();
    let at: number | null = off;
    for (let i = 0; at !== null && i < MAX_NAME_CHASE && !seen.has(at); i++) {
      seen.add(at);
      const found = this.dieAt(at);
      if (!found) return null;
      if (pick(found[1])) return found;
      const next = found[1].specification ?? found[1].abstractOrigin;
      at = next ? found[0].ref(next) : null;
    }
    return null;
  }

  private warn(e: unknown): void {
    const msg = e instanceof DwarfError ? e.message : `internal error: ${(e as Error)?.message ?? String(e)}`;
    if (this.warned.has(msg)) return;
    this.warned.add(msg);
    this.warnings.push(msg);
  }

  // ---- finding units --------------------------------------------------------------------

  private ensureIndex(): void {
    if (this.units) return;
    const units: UnitEntry[] = (this.units = []);
    const info = this.secs.get('.debug_info');
    if (info) {
      // §7.5.1: units follow each other; a bad header ends the walk (later units are lost).
      let off = 0;
      while (off < info.data.length) {
        let h: UnitHeader;
        try {
          h = readUnitHeader(info, off);
        } catch (e) {
          this.warn(e);
          break;
        }
        off = h.end;
        // Type units carry no code; split units live in .dwo files.
        if (h.unitType === C.DW_UT_type || h.unitType === C.DW_UT_split_type || h.unitType === C.DW_UT_split_compile) continue;
        units.push({ header: h, lineOffset: null });
      }
    } else {
      this.indexLineOnly(units);
    }

    const aranges = this.readAranges();
    const byOffset = new Map<number, UnitEntry>();
    for (const u of units) if (u.header) byOffset.set(u.header.offset, u);
    const ivs: Interval[] = [];
    const covered = new Set<UnitEntry>();
    for (const [cu, ranges] of aranges) {
      const u = byOffset.get(cu);
      if (!u) continue;
      covered.add(u);
      for (const [lo, hi] of ranges) ivs.push({ lo, hi, unit: u });
    }
    for (const u of units) {
      if (covered.has(u)) continue;
      const ctx = this.ctxOf(u);
      const ranges = ctx?.die.ranges;
      if (!ctx || !ranges) {
        this.fallback.push(u);
        continue;
      }
      for (const [lo, hi] of ranges) ivs.push({ lo, hi, unit: u });
    }
    ivs.sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
    let m = 0n;
    this.maxHi = ivs.map((iv) => (m = iv.hi > m ? iv.hi : m));
    this.intervals = ivs;
  }

  /** Without .debug_info: every line program in .debug_line becomes a pseudo unit. */
  private indexLineOnly(units: UnitEntry[]): void {
    const sec = this.secs.get('.debug_line');
    if (!sec) return;
    let off = 0;
    try {
      while (off < sec.data.length) {
        const r = new Reader(sec, off);
        const { length } = r.initialLength();
        units.push({ header: null, lineOffset: off });
        off = r.pos + length;
      }
    } catch (e) {
      this.warn(e);
    }
  }

  /** §6.1.2 Lookup by Address: .debug_aranges sets. A set that fails to parse is ignored. */
  private readAranges(): Map<number, Range[]> {
    const out = new Map<number, Range[]>();
    const sec = this.secs.get('.debug_aranges');
    if (!sec) return out;
    let off = 0;
    while (off < sec.data.length) {
      try {
        const setStart = off;
        const top = new Reader(sec, off);
        const { length, offsetSize } = top.initialLength();
        const r = top.sub(length, 'address range set');
        off = top.pos + length;
        const version = r.u16();
        if (version !== 2) throw r.error(`unsupported .debug_aranges version ${version}`, r.pos - 2);
        const cu = r.offset(offsetSize);
        const addrSize = r.u8();
        const segSize = r.u8();
        if (segSize !== 0) throw r.error(`segment selector size ${segSize} is not supported`, r.pos - 1);
        if (addrSize !== 2 && addrSize !== 4 && addrSize !== 8) throw r.error(`unsupported address size ${addrSize}`, r.pos - 2);
        // Tuples start at a multiple of twice the address size from the set's start.
        const align = 2 * addrSize;
        r.pos = setStart + Math.ceil((r.pos - setStart) / align) * align;
        const ranges: Range[] = [];
        while (r.remaining >= align) {
          const lo = r.addr(addrSize);
          const len = r.addr(addrSize);
          if (lo === 0n && len === 0n) break;
          if (len > 0n) ranges.push([lo, lo + len]);
        }
        const prev = out.get(cu);
        out.set(cu, prev ? prev.concat(ranges) : ranges);
      } catch (e) {
        this.warn(e);
        break;
      }
    }
    return out;
  }

  /** The unit's context (abbreviations + unit DIE), or null if that is corrupt. */
  private ctxOf(u: UnitEntry): UnitCtx | null {
    if (u.ctx !== undefined) return u.ctx;
    if (!u.header) return (u.ctx = null);
    try {
      u.ctx = new UnitCtx(this.secs, u.header);
    } catch (e) {
      this.warn(e);
      u.ctx = null;
    }
    return u.ctx;
  }

  private *unitsCovering(addr: bigint): Generator<UnitEntry> {
    const ivs = this.intervals;
    let lo = 0;
    let hi = ivs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ivs[mid]!.lo <= addr) lo = mid + 1;
      else hi = mid;
    }
    const seen = new Set<UnitEntry>();
    for (let i = lo - 1; i >= 0 && this.maxHi[i]! > addr; i--) {
      const iv = ivs[i]!;
      if (addr < iv.hi && !seen.has(iv.unit)) {
        seen.add(iv.unit);
        yield iv.unit;
      }
    }
  }

  // ---- one unit ------------------------------------------------------------------------

  /** Parse the unit's DIE tree and line program (once). Whatever parsed before an error is kept. */
  private load(u: UnitEntry): LoadedUnit {
    if (u.loaded) return u.loaded;
    this.parsed++;
    const funcs: ScopeNode[] = [];
    let lines: LineTable | null = null;
    const ctx = this.ctxOf(u);
    if (ctx) {
      try {
        this.walkTree(ctx, funcs);
      } catch (e) {
        this.warn(e);
      }
    }
    const lineSec = this.secs.get('.debug_line');
    const lineOff = ctx ? ctx.die.stmtList : u.lineOffset;
    if (lineSec && lineOff !== null) {
      const warn = (e: DwarfError) => this.warn(e);
      lines = parseLineProgram(lineSec, lineOff, ctx?.h.addrSize ?? 8, {
        str: this.secs.get('.debug_str'),
        lineStr: this.secs.get('.debug_line_str'),
        strx: ctx ? (i) => ctx.strx(i) : undefined,
      }, warn);
    }
    const flat: { lo: bigint; hi: bigint; node: ScopeNode }[] = [];
    for (const f of funcs) for (const [lo, hi] of f.ranges) flat.push({ lo, hi, node: f });
    flat.sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
    let m = 0n;
    const index: FuncIndex = {
      lo: flat.map((x) => x.lo),
      hi: flat.map((x) => x.hi),
      maxHi: flat.map((x) => (m = x.hi > m ? x.hi : m)),
      node: flat.map((x) => x.node),
    };
    return (u.loaded = { funcs: index, lines });
  }

  /**
   * §2.3 / §7.5.2: walk the DIE tree in order, keeping for each depth the innermost
   * subprogram or inlined_subroutine that has PC ranges. Lexical blocks (§3.5) and other
   * scopes pass their parent's scope on, so inlines inside blocks attach to the function.
   */
  private walkTree(ctx: UnitCtx, funcs: ScopeNode[]): void {
    const h = ctx.h;
    const r = new Reader(this.secs.get('.debug_info')!, h.dieOffset, h.end);
    const unitDie = readDie(r, h, ctx.abbrevs);
    if (!unitDie || !unitDie.hasChildren) return;
    const stack: (ScopeNode | null)[] = [];
    let scope: ScopeNode | null = null;
    let depth = 1;
    while (!r.atEnd) {
      const die = readDie(r, h, ctx.abbrevs);
      if (!die) {
        depth--;
        if (depth === 0) return;
        scope = stack.pop() ?? null;
        continue;
      }
      let childScope = scope;
      if (die.tag === C.DW_TAG_subprogram) {
        const ranges = this.safeRanges(ctx, die);
        if (ranges && ranges.length) {
          childScope = { die: die.offset, ranges, children: [], callFile: 0, callLine: 0, callColumn: 0 };
          funcs.push(childScope);
        } else {
          childScope = null; // a declaration or abstract instance (§3.3.8.1): no code here
        }
      } else if (die.tag === C.DW_TAG_inlined_subroutine) {
        const ranges = scope ? this.safeRanges(ctx, die) : null;
        if (scope && ranges && ranges.length) {
          const num = (v: FormValue | undefined) => (v ? constValue(v) ?? 0 : 0);
          childScope = {
            die: die.offset,
            ranges,
            children: [],
            callFile: num(die.callFile),
            callLine: num(die.callLine),
            callColumn: num(die.callColumn),
          };
          scope.children.push(childScope);
        } else {
          childScope = null;
        }
      }
      if (die.hasChildren) {
        stack.push(scope);
        scope = childScope;
        depth++;
      }
    }
    throw r.error('DIE tree is not terminated before the end of the unit', h.end);
  }

  private safeRanges(ctx: UnitCtx, die: DieAttrs): Range[] | null {
    try {
      return ctx.rangesOf(die);
    } catch (e) {
      this.warn(e);
      return null;
    }
  }

  // ---- frames --------------------------------------------------------------------------

  private framesIn(u: UnitEntry, addr: bigint, policy: LinePolicy): SourceFrame[] {
    const lu = this.load(u);
    const ctx = this.ctxOf(u);
    const compDir = ctx?.die.compDir ?? null;
    const file = (idx: number): string | null => {
      const raw = lu.lines?.rawPath(idx) ?? null;
      return raw === null ? null : displayPath(raw, compDir);
    };
    const chain = findChain(lu.funcs, addr);
    let row = null;
    try {
      row = lu.lines?.find(addr, policy) ?? null;
    } catch (e) {
      this.warn(e);
    }
    if (!chain.length && !row) return [];
    const frames: SourceFrame[] = [];
    let loc = { file: row ? file(row.file) : null, line: row?.line ?? 0, column: row?.column ?? 0 };
    for (let i = chain.length - 1; i >= 0; i--) {
      const n = chain[i]!;
      frames.push({ function: this.nameOf(n.die), ...loc, inlined: i > 0 });
      loc = { file: file(n.callFile), line: n.callLine, column: n.callColumn };
    }
    if (!chain.length) frames.push({ function: null, ...loc, inlined: false });
    return frames;
  }

  /** §3.3.8: a name may sit on the DIE, its abstract origin, or its specification. */
  private nameOf(die: number): string | null {
    const hit = this.names.get(die);
    if (hit !== undefined) return hit;
    let name: string | null = null;
    let linkage: string | null = null;
    const seen = new Set<number>();
    let off: number | null = die;
    try {
      for (let i = 0; off !== null && i < MAX_NAME_CHASE; i++) {
        if (seen.has(off)) throw new DwarfError(`.debug_info+${hexOff(off)}: DW_AT_abstract_origin/DW_AT_specification loop`);
        seen.add(off);
        const found = this.dieAt(off);
        if (!found) break;
        const [ctx, d] = found;
        if (d.name) {
          name = ctx.str(d.name);
          break;
        }
        if (d.linkageName && linkage === null) linkage = ctx.str(d.linkageName);
        const next: FormValue | undefined = d.abstractOrigin ?? d.specification;
        off = next ? ctx.ref(next) : null;
        if (i === MAX_NAME_CHASE - 1 && off !== null) throw new DwarfError(`.debug_info+${hexOff(die)}: more than ${MAX_NAME_CHASE} DW_AT_abstract_origin/DW_AT_specification links`);
      }
    } catch (e) {
      this.warn(e);
    }
    const out = name ?? linkage;
    this.names.set(die, out);
    return out;
  }

  /** The DIE at an absolute .debug_info offset, with its unit's context. */
  private dieAt(off: number): [UnitCtx, DieAttrs] | null {
    const units = this.units!;
    let lo = 0;
    let hi = units.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const h = units[mid]!.header;
      if (h && h.offset <= off) lo = mid + 1;
      else hi = mid;
    }
    const u = units[lo - 1];
    if (!u?.header || off < u.header.dieOffset || off >= u.header.end) {
      throw new DwarfError(`.debug_info+${hexOff(off)}: DIE reference points outside any unit`);
    }
    const ctx = this.ctxOf(u);
    if (!ctx) return null;
    const r = new Reader(this.secs.get('.debug_info')!, off, u.header.end);
    const d = readDie(r, u.header, ctx.abbrevs, true);
    return d ? [ctx, d] : null;
  }
}

function covers(ranges: Range[], addr: bigint): boolean {
  for (const [lo, hi] of ranges) if (addr >= lo && addr < hi) return true;
  return false;
}

/** The subprogram covering addr and the inlined_subroutines nested in it down to addr, outermost first. */
function findChain(f: FuncIndex, addr: bigint): ScopeNode[] {
  let lo = 0;
  let hi = f.lo.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (f.lo[mid]! <= addr) lo = mid + 1;
    else hi = mid;
  }
  let fn: ScopeNode | null = null;
  for (let i = lo - 1; i >= 0 && f.maxHi[i]! > addr; i--) {
    if (addr < f.hi[i]!) {
      fn = f.node[i]!;
      break;
    }
  }
  if (!fn) return [];
  const chain = [fn];
  let cur = fn;
  for (let d = 0; d < MAX_INLINE_DEPTH; d++) {
    const next = cur.children.find((c) => covers(c.ranges, addr));
    if (!next) break;
    chain.push(next);
    cur = next;
  }
  return chain;
}

function normalize(p: string): string {
  const abs = p.startsWith('/');
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  return (abs ? '/' : '') + parts.join('/');
}

/**
 * The file as the unit names it: relative to comp_dir when inside it, "./" and "//"
 * removed, never joined with comp_dir.
 */
export function displayPath(path: string, compDir: string | null): string {
  let p = normalize(path);
  if (compDir) {
    const c = normalize(compDir);
    if (c && c !== '/' && p.startsWith(c + '/')) p = p.slice(c.length + 1);
  }
  return p || path;
}
