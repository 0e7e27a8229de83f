// Units and DIEs (DWARF 5 §7.5.1 "Unit Headers", §7.5.2 "Debugging Information Entry",
// §2.17 "Code Addresses, Ranges and Base Addresses", §2.18 "Entry Address").

import * as C from './constants.js';
import { AbbrevTable, parseAbbrevTable, type Abbrev } from './abbrev.js';
import { constValue, readForm, skipForm, type Encoding, type FormValue } from './forms.js';
import { DwarfError, Reader, hexOff, strAt, type DwarfSection } from './reader.js';
import type { DebugSections } from './sections.js';

export type Range = [bigint, bigint];

/** A unit header plus the attributes of its unit DIE that the rest of the reader needs. */
export interface UnitHeader extends Encoding {
  offset: number;
  /** Exclusive end of the unit in .debug_info. */
  end: number;
  unitType: number;
  abbrevOffset: number;
  /** Offset of the unit DIE. */
  dieOffset: number;
}

export interface UnitDie {
  tag: number;
  name: string | null;
  compDir: string | null;
  stmtList: number | null;
  /** The base address for range lists (§2.17.3): the unit DIE's DW_AT_low_pc, else 0. */
  baseAddress: bigint;
  strOffsetsBase: number;
  addrBase: number;
  rnglistsBase: number | null;
  /** The unit's own ranges from low_pc/high_pc or DW_AT_ranges; null when it states none. */
  ranges: Range[] | null;
}

/** §7.5.1.1 / §7.5.1.2: read the header of the unit at `offset`. */
export function readUnitHeader(info: DwarfSection, offset: number): UnitHeader {
  const r = new Reader(info, offset);
  const { length, offsetSize } = r.initialLength();
  const end = r.pos + length;
  if (end > info.data.length) throw r.error(`unit_length ${hexOff(length)} extends past the end of the section (${hexOff(info.data.length)})`, offset);
  const version = r.u16();
  if (version < 2 || version > 5) throw r.error(`unsupported unit version ${version}`, r.pos - 2);
  let unitType = C.DW_UT_compile;
  let addrSize: number;
  let abbrevOffset: number;
  if (version >= 5) {
    unitType = r.u8();
    addrSize = r.u8();
    abbrevOffset = r.offset(offsetSize);
    switch (unitType) {
      case C.DW_UT_compile: case C.DW_UT_partial: break;
      case C.DW_UT_skeleton: case C.DW_UT_split_compile: r.skip(8, 'dwo_id'); break;
      case C.DW_UT_type: case C.DW_UT_split_type: r.skip(8, 'type_signature'); r.skip(offsetSize, 'type_offset'); break;
      default: throw r.error(`unknown unit type 0x${unitType.toString(16)}`, offset + (offsetSize === 8 ? 14 : 6));
    }
  } else {
    abbrevOffset = r.offset(offsetSize);
    addrSize = r.u8();
  }
  if (addrSize !== 2 && addrSize !== 4 && addrSize !== 8) throw r.error(`unsupported address size ${addrSize}`, r.pos - 1);
  if (r.pos > end) throw r.error('unit header is longer than the unit', offset);
  return { offset, end, version, unitType, addrSize, offsetSize, abbrevOffset, dieOffset: r.pos };
}

/** The attributes of one DIE that the symbolizer reads. */
export interface DieAttrs {
  offset: number;
  tag: number;
  hasChildren: boolean;
  name?: FormValue;
  linkageName?: FormValue;
  lowPc?: FormValue;
  highPc?: FormValue;
  ranges?: FormValue;
  abstractOrigin?: FormValue;
  specification?: FormValue;
  callFile?: FormValue;
  callLine?: FormValue;
  callColumn?: FormValue;
  stmtList?: FormValue;
  compDir?: FormValue;
  strOffsetsBase?: FormValue;
  addrBase?: FormValue;
  rnglistsBase?: FormValue;
  declaration?: FormValue;
  /** DW_TAG_call_site: DW_AT_call_return_pc. */
  callReturnPc?: FormValue;
  /** DW_AT_call_tail_call or DW_AT_GNU_tail_call. */
  tailCall?: FormValue;
  /** DW_AT_call_target. */
  callTarget?: FormValue;
  gnuCallTarget?: FormValue;
  callOrigin?: FormValue;
  /** DW_AT_call_all_calls, DW_AT_call_all_tail_calls or their GNU forms: the subprogram lists every (tail) call site. */
  allCalls?: FormValue;
}

const WANTED: Record<number, keyof DieAttrs> = {
  [C.DW_AT_name]: 'name',
  [C.DW_AT_linkage_name]: 'linkageName',
  [C.DW_AT_MIPS_linkage_name]: 'linkageName',
  [C.DW_AT_low_pc]: 'lowPc',
  [C.DW_AT_high_pc]: 'highPc',
  [C.DW_AT_ranges]: 'ranges',
  [C.DW_AT_abstract_origin]: 'abstractOrigin',
  [C.DW_AT_specification]: 'specification',
  [C.DW_AT_call_file]: 'callFile',
  [C.DW_AT_call_line]: 'callLine',
  [C.DW_AT_call_column]: 'callColumn',
  [C.DW_AT_stmt_list]: 'stmtList',
  [C.DW_AT_comp_dir]: 'compDir',
  [C.DW_AT_str_offsets_base]: 'strOffsetsBase',
  [C.DW_AT_addr_base]: 'addrBase',
  [C.DW_AT_GNU_addr_base]: 'addrBase',
  [C.DW_AT_rnglists_base]: 'rnglistsBase',
  [C.DW_AT_declaration]: 'declaration',
  [C.DW_AT_call_return_pc]: 'callReturnPc',
  [C.DW_AT_call_tail_call]: 'tailCall',
  [C.DW_AT_GNU_tail_call]: 'tailCall',
  [C.DW_AT_call_target]: 'callTarget',
  [C.DW_AT_GNU_call_site_target]: 'gnuCallTarget',
  [C.DW_AT_call_origin]: 'callOrigin',
  [C.DW_AT_call_all_calls]: 'allCalls',
  [C.DW_AT_call_all_tail_calls]: 'allCalls',
  [C.DW_AT_GNU_all_call_sites]: 'allCalls',
  [C.DW_AT_GNU_all_tail_call_sites]: 'allCalls',
};

/** Tags whose attributes are decoded during a tree walk; all other DIEs are skipped form by form. */
const INTERESTING_TAGS = new Set([
  C.DW_TAG_subprogram, C.DW_TAG_inlined_subroutine, C.DW_TAG_compile_unit, C.DW_TAG_partial_unit, C.DW_TAG_skeleton_unit,
  C.DW_TAG_call_site, C.DW_TAG_GNU_call_site,
]);

/**
 * Read the DIE at r.pos. Returns null for a null entry (end of a sibling chain, §7.5.2).
 * `full` decodes the wanted attributes even for uninteresting tags.
 */
export function readDie(r: Reader, u: UnitHeader, abbrevs: AbbrevTable, full = false): DieAttrs | null {
  const offset = r.pos;
  const code = r.uleb();
  if (code === 0) return null;
  const a: Abbrev | undefined = abbrevs.get(code);
  if (!a) throw r.error(`unknown abbreviation code ${code}`, offset);
  const die: DieAttrs = { offset, tag: a.tag, hasChildren: a.hasChildren };
  const decode = full || INTERESTING_TAGS.has(a.tag);
  const n = a.attrs.length;
  for (let i = 0; i < n; i++) {
    const form = a.forms[i]!;
    const key = decode ? WANTED[a.attrs[i]!] : undefined;
    if (key) (die as unknown as Record<string, FormValue>)[key] = readForm(r, form, u, a.implicit[i]!);
    else skipForm(r, form, u);
  }
  return die;
}

/** Per-unit context for resolving indexes and references. */
export class UnitCtx {
  readonly h: UnitHeader;
  readonly abbrevs: AbbrevTable;
  readonly die: UnitDie;
  private readonly secs: DebugSections;

  constructor(secs: DebugSections, h: UnitHeader) {
    this.secs = secs;
    this.h = h;
    const abbrevSec = secs.get('.debug_abbrev');
    if (!abbrevSec) throw new DwarfError(`.debug_info+${hexOff(h.offset)}: no .debug_abbrev section`);
    this.abbrevs = parseAbbrevTable(abbrevSec, h.abbrevOffset);
    const info = secs.get('.debug_info')!;
    const r = new Reader(info, h.dieOffset, h.end);
    const d = readDie(r, h, this.abbrevs, true);
    if (!d) throw r.error('unit has no unit DIE', h.dieOffset);
    // Defaults when a base is absent: just past the v5 table header (§7.26, §7.27, §7.28).
    const hdr = h.offsetSize === 8 ? 16 : 8;
    const secOff = (v: FormValue | undefined, dflt: number): number => (v && typeof v.value === 'number' ? v.value : dflt);
    const die: UnitDie = {
      tag: d.tag,
      name: null,
      compDir: null,
      stmtList: d.stmtList && typeof d.stmtList.value === 'number' ? d.stmtList.value : null,
      baseAddress: 0n,
      strOffsetsBase: secOff(d.strOffsetsBase, hdr),
      addrBase: secOff(d.addrBase, hdr),
      rnglistsBase: d.rnglistsBase && typeof d.rnglistsBase.value === 'number' ? d.rnglistsBase.value : null,
      ranges: null,
    };
    this.die = die;
    die.name = this.strOrNull(d.name);
    die.compDir = this.strOrNull(d.compDir);
    if (d.lowPc) die.baseAddress = this.address(d.lowPc);
    die.ranges = this.rangesOf(d);
  }

  private strOrNull(v: FormValue | undefined): string | null {
    return v ? this.str(v) : null;
  }

  /** A string-class value (§7.5.5): string, strp, line_strp, strx*. */
  str(v: FormValue): string {
    if (typeof v.value === 'string') return v.value;
    const n = v.value as number;
    switch (v.form) {
      case C.DW_FORM_strp: return strAt(this.secs.get('.debug_str'), n, '.debug_str');
      case C.DW_FORM_line_strp: return strAt(this.secs.get('.debug_line_str'), n, '.debug_line_str');
      case C.DW_FORM_strx: case C.DW_FORM_strx1: case C.DW_FORM_strx2: case C.DW_FORM_strx3: case C.DW_FORM_strx4:
      case C.DW_FORM_GNU_str_index:
        return this.strx(n);
      default:
        throw new DwarfError(`.debug_info+${hexOff(this.h.offset)}: form 0x${v.form.toString(16)} is not a string form this reader resolves`);
    }
  }

  /** §7.26 String Offsets Table: .debug_str_offsets[str_offsets_base + i * offset_size]. */
  strx(index: number): string {
    const so = this.secs.get('.debug_str_offsets');
    if (!so) throw new DwarfError(`.debug_info+${hexOff(this.h.offset)}: strx form but no .debug_str_offsets section`);
    const r = new Reader(so, this.die.strOffsetsBase + index * this.h.offsetSize);
    if (r.pos >= so.data.length) throw r.error(`string offset index ${index} past the end`);
    return strAt(this.secs.get('.debug_str'), r.offset(this.h.offsetSize), '.debug_str');
  }

  /** §7.27 Address Table: .debug_addr[addr_base + i * address_size]. */
  addrx(index: number): bigint {
    const sec = this.secs.get('.debug_addr');
    if (!sec) throw new DwarfError(`.debug_info+${hexOff(this.h.offset)}: addrx form but no .debug_addr section`);
    const r = new Reader(sec, this.die.addrBase + index * this.h.addrSize);
    if (r.pos >= sec.data.length) throw r.error(`address index ${index} past the end`);
    return r.addr(this.h.addrSize);
  }

  /** An address-class value: DW_FORM_addr or an addrx form. */
  address(v: FormValue): bigint {
    if (typeof v.value === 'bigint' && v.form === C.DW_FORM_addr) return v.value;
    switch (v.form) {
      case C.DW_FORM_addrx: case C.DW_FORM_addrx1: case C.DW_FORM_addrx2: case C.DW_FORM_addrx3: case C.DW_FORM_addrx4:
      case C.DW_FORM_GNU_addr_index:
        return this.addrx(v.value as number);
    }
    throw new DwarfError(`.debug_info+${hexOff(this.h.offset)}: form 0x${v.form.toString(16)} is not an address form`);
  }

  /** A reference (§7.5.5 reference class) as an absolute .debug_info offset, or null if not resolvable here. */
  ref(v: FormValue): number | null {
    switch (v.form) {
      case C.DW_FORM_ref1: case C.DW_FORM_ref2: case C.DW_FORM_ref4: case C.DW_FORM_ref8: case C.DW_FORM_ref_udata:
        return this.h.offset + (v.value as number);
      case C.DW_FORM_ref_addr:
        return v.value as number;
      default:
        return null; // ref_sig8, ref_sup*, GNU_ref_alt: other sections or files
    }
  }

  /** §2.17: the PC ranges of a DIE from DW_AT_low_pc/high_pc or DW_AT_ranges; null if it has none. */
  rangesOf(d: DieAttrs): Range[] | null {
    if (d.ranges) return this.rangeList(d.ranges);
    if (d.lowPc && d.highPc) {
      const lo = this.address(d.lowPc);
      const k = constValue(d.highPc);
      // §2.17.2: DW_AT_high_pc of class constant is an offset from low_pc.
      const hi = k !== null ? lo + BigInt(k) : this.address(d.highPc);
      return hi > lo ? [[lo, hi]] : [];
    }
    return null;
  }

  private rangeList(v: FormValue): Range[] {
    const h = this.h;
    if (h.version >= 5) {
      const sec = this.secs.get('.debug_rnglists');
      if (!sec) throw new DwarfError(`.debug_info+${hexOff(h.offset)}: DW_AT_ranges but no .debug_rnglists section`);
      let off: number;
      if (v.form === C.DW_FORM_rnglistx) {
        // §7.28: offsets[i] at rnglists_base, relative to rnglists_base.
        const base = this.die ? this.die.rnglistsBase ?? (h.offsetSize === 8 ? 20 : 12) : h.offsetSize === 8 ? 20 : 12;
        const r = new Reader(sec, base + (v.value as number) * h.offsetSize);
        off = base + r.offset(h.offsetSize);
      } else {
        off = v.value as number;
      }
      return this.readRnglist(sec, off);
    }
    const sec = this.secs.get('.debug_ranges');
    if (!sec) throw new DwarfError(`.debug_info+${hexOff(h.offset)}: DW_AT_ranges but no .debug_ranges section`);
    return this.readRanges(sec, v.value as number);
  }

  private base(): bigint {
    return this.die ? this.die.baseAddress : 0n;
  }

  /** §2.17.3 (DWARF 5) range list entries DW_RLE_*. */
  private readRnglist(sec: DwarfSection, off: number): Range[] {
    const r = new Reader(sec, off);
    if (off >= sec.data.length) throw r.error('range list offset past the end');
    const out: Range[] = [];
    let base = this.base();
    const a = this.h.addrSize;
    for (;;) {
      const at = r.pos;
      const kind = r.u8();
      let lo: bigint;
      let hi: bigint;
      switch (kind) {
        case C.DW_RLE_end_of_list: return out;
        case C.DW_RLE_base_addressx: base = this.addrx(r.uleb()); continue;
        case C.DW_RLE_startx_endx: lo = this.addrx(r.uleb()); hi = this.addrx(r.uleb()); break;
        case C.DW_RLE_startx_length: lo = this.addrx(r.uleb()); hi = lo + r.ulebBig(); break;
        case C.DW_RLE_offset_pair: lo = base + r.ulebBig(); hi = base + r.ulebBig(); break;
        case C.DW_RLE_base_address: base = r.addr(a); continue;
        case C.DW_RLE_start_end: lo = r.addr(a); hi = r.addr(a); break;
        case C.DW_RLE_start_length: lo = r.addr(a); hi = lo + r.ulebBig(); break;
        default: throw r.error(`unknown range list entry kind 0x${kind.toString(16)}`, at);
      }
      if (hi > lo) out.push([lo, hi]);
    }
  }

  /** §2.17.3 (DWARF 2-4) .debug_ranges: address pairs, base address selection, (0,0) end. */
  private readRanges(sec: DwarfSection, off: number): Range[] {
    const r = new Reader(sec, off);
    if (off >= sec.data.length) throw r.error('range list offset past the end');
    const out: Range[] = [];
    const a = this.h.addrSize;
    const max = (1n << BigInt(8 * a)) - 1n;
    let base = this.base();
    for (;;) {
      const lo = r.addr(a);
      const hi = r.addr(a);
      if (lo === 0n && hi === 0n) return out;
      if (lo === max) {
        base = hi;
        continue;
      }
      if (hi > lo) out.push([base + lo, base + hi]);
    }
  }
}
