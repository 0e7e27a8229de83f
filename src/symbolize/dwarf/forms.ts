// Attribute values by form (DWARF 5 §7.5.6 "Form Encodings", §7.5.5 "Classes and Forms").
//
// Values are returned raw: an index (strx, addrx, rnglistx) or a section offset (strp,
// line_strp, sec_offset) is resolved later against the unit's bases, because a unit DIE
// may list DW_AT_str_offsets_base after a DW_AT_name that needs it.

import * as C from './constants.js';
import type { Reader } from './reader.js';

/** What a unit (or line program header) says about its encoding. */
export interface Encoding {
  version: number;
  addrSize: number;
  offsetSize: 4 | 8;
}

export type RawValue = number | bigint | string | Uint8Array;

export interface FormValue {
  form: number;
  value: RawValue;
}

/** DW_FORM_indirect may name another DW_FORM_indirect; real producers never chain them. */
const MAX_INDIRECT = 4;

/**
 * Read one attribute value. `implicitConst` is the value stored in the abbreviation for
 * DW_FORM_implicit_const (§7.5.3).
 */
export function readForm(r: Reader, form: number, enc: Encoding, implicitConst = 0, depth = 0): FormValue {
  const at = r.pos;
  switch (form) {
    case C.DW_FORM_addr: return { form, value: r.addr(enc.addrSize) };
    case C.DW_FORM_data1: case C.DW_FORM_ref1: case C.DW_FORM_flag: case C.DW_FORM_strx1: case C.DW_FORM_addrx1:
      return { form, value: r.u8() };
    case C.DW_FORM_data2: case C.DW_FORM_ref2: case C.DW_FORM_strx2: case C.DW_FORM_addrx2:
      return { form, value: r.u16() };
    case C.DW_FORM_strx3: case C.DW_FORM_addrx3:
      return { form, value: r.u24() };
    case C.DW_FORM_data4: case C.DW_FORM_ref4: case C.DW_FORM_ref_sup4: case C.DW_FORM_strx4: case C.DW_FORM_addrx4:
      return { form, value: r.u32() };
    case C.DW_FORM_data8: case C.DW_FORM_ref_sig8:
      return { form, value: r.u64() };
    case C.DW_FORM_ref8: case C.DW_FORM_ref_sup8:
      return { form, value: r.u64n() };
    case C.DW_FORM_data16: return { form, value: r.bytes(16) };
    case C.DW_FORM_sdata: return { form, value: r.sleb() };
    case C.DW_FORM_udata: case C.DW_FORM_ref_udata: case C.DW_FORM_strx: case C.DW_FORM_addrx:
    case C.DW_FORM_loclistx: case C.DW_FORM_rnglistx: case C.DW_FORM_GNU_addr_index: case C.DW_FORM_GNU_str_index:
      return { form, value: r.uleb() };
    case C.DW_FORM_string: return { form, value: r.cstr() };
    case C.DW_FORM_strp: case C.DW_FORM_line_strp: case C.DW_FORM_sec_offset: case C.DW_FORM_strp_sup:
    case C.DW_FORM_GNU_ref_alt: case C.DW_FORM_GNU_strp_alt:
      return { form, value: r.offset(enc.offsetSize) };
    case C.DW_FORM_ref_addr:
      // §7.5.4: an address-sized value in DWARF 2, an offset from DWARF 3 on.
      return { form, value: enc.version <= 2 ? Number(r.addr(enc.addrSize)) : r.offset(enc.offsetSize) };
    case C.DW_FORM_block1: return { form, value: r.bytes(r.u8()) };
    case C.DW_FORM_block2: return { form, value: r.bytes(r.u16()) };
    case C.DW_FORM_block4: return { form, value: r.bytes(r.u32()) };
    case C.DW_FORM_block: case C.DW_FORM_exprloc: return { form, value: r.bytes(r.uleb()) };
    case C.DW_FORM_flag_present: return { form, value: 1 };
    case C.DW_FORM_implicit_const: return { form, value: implicitConst };
    case C.DW_FORM_indirect: {
      if (depth >= MAX_INDIRECT) throw r.error('DW_FORM_indirect chain too long', at);
      return readForm(r, r.uleb(), enc, implicitConst, depth + 1);
    }
    default:
      throw r.error(`unknown form 0x${form.toString(16)}`, at);
  }
}

/** Skip one attribute value without building it (the hot path of a DIE tree walk). */
export function skipForm(r: Reader, form: number, enc: Encoding, depth = 0): void {
  switch (form) {
    case C.DW_FORM_flag_present: case C.DW_FORM_implicit_const: return;
    case C.DW_FORM_data1: case C.DW_FORM_ref1: case C.DW_FORM_flag: case C.DW_FORM_strx1: case C.DW_FORM_addrx1:
      r.skip(1, 'attribute'); return;
    case C.DW_FORM_data2: case C.DW_FORM_ref2: case C.DW_FORM_strx2: case C.DW_FORM_addrx2:
      r.skip(2, 'attribute'); return;
    case C.DW_FORM_strx3: case C.DW_FORM_addrx3: r.skip(3, 'attribute'); return;
    case C.DW_FORM_data4: case C.DW_FORM_ref4: case C.DW_FORM_ref_sup4: case C.DW_FORM_strx4: case C.DW_FORM_addrx4:
      r.skip(4, 'attribute'); return;
    case C.DW_FORM_data8: case C.DW_FORM_ref8: case C.DW_FORM_ref_sig8: case C.DW_FORM_ref_sup8:
      r.skip(8, 'attribute'); return;
    case C.DW_FORM_data16: r.skip(16, 'attribute'); return;
    case C.DW_FORM_sdata: case C.DW_FORM_udata: case C.DW_FORM_ref_udata: case C.DW_FORM_strx: case C.DW_FORM_addrx:
    case C.DW_FORM_loclistx: case C.DW_FORM_rnglistx: case C.DW_FORM_GNU_addr_index: case C.DW_FORM_GNU_str_index:
      r.skipLeb(); return;
    case C.DW_FORM_string: r.skipCstr(); return;
    case C.DW_FORM_addr: r.skip(enc.addrSize, 'address'); return;
    case C.DW_FORM_strp: case C.DW_FORM_line_strp: case C.DW_FORM_sec_offset: case C.DW_FORM_strp_sup:
    case C.DW_FORM_GNU_ref_alt: case C.DW_FORM_GNU_strp_alt:
      r.skip(enc.offsetSize, 'offset'); return;
    case C.DW_FORM_ref_addr: r.skip(enc.version <= 2 ? enc.addrSize : enc.offsetSize, 'reference'); return;
    case C.DW_FORM_block1: r.skip(r.u8(), 'block'); return;
    case C.DW_FORM_block2: r.skip(r.u16(), 'block'); return;
    case C.DW_FORM_block4: r.skip(r.u32(), 'block'); return;
    case C.DW_FORM_block: case C.DW_FORM_exprloc: r.skip(r.uleb(), 'block'); return;
    case C.DW_FORM_indirect: {
      const at = r.pos;
      if (depth >= MAX_INDIRECT) throw r.error('DW_FORM_indirect chain too long', at);
      skipForm(r, r.uleb(), enc, depth + 1);
      return;
    }
    default:
      throw r.error(`unknown form 0x${form.toString(16)}`);
  }
}

/** A constant-class value as a number (data1..8, udata, sdata, implicit_const). */
export function constValue(v: FormValue): number | null {
  switch (v.form) {
    case C.DW_FORM_data1: case C.DW_FORM_data2: case C.DW_FORM_data4: case C.DW_FORM_data8:
    case C.DW_FORM_udata: case C.DW_FORM_sdata: case C.DW_FORM_implicit_const:
      return typeof v.value === 'bigint' ? Number(v.value) : typeof v.value === 'number' ? v.value : null;
    default:
      return null;
  }
}
