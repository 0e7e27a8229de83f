// Abbreviation tables (DWARF 5 §7.5.3 "Abbreviations Tables").

import * as C from './constants.js';
import { Reader, type DwarfSection } from './reader.js';

export interface Abbrev {
  code: number;
  tag: number;
  hasChildren: boolean;
  /** Attribute names, forms and implicit constants, in DIE order. */
  attrs: number[];
  forms: number[];
  implicit: number[];
}

/** One table: code -> abbreviation. Codes are usually dense from 1, so an array is used. */
export class AbbrevTable {
  private readonly dense: (Abbrev | undefined)[] = [];
  private readonly sparse = new Map<number, Abbrev>();

  get(code: number): Abbrev | undefined {
    return code < this.dense.length ? this.dense[code] : this.sparse.get(code);
  }

  add(a: Abbrev): boolean {
    if (this.get(a.code)) return false;
    if (a.code < 100_000 && a.code <= this.dense.length + 64) {
      while (this.dense.length <= a.code) this.dense.push(undefined);
      this.dense[a.code] = a;
    } else {
      this.sparse.set(a.code, a);
    }
    return true;
  }
}

/**
 * Parse the table at `offset`. Every loop ends at the table's 0 terminator or the section
 * end; a duplicate code is an error (the spec says codes are unique within a table).
 */
export function parseAbbrevTable(sec: DwarfSection, offset: number): AbbrevTable {
  const r = new Reader(sec, offset);
  if (offset >= sec.data.length) throw r.error(`abbreviation table offset past the end (${sec.data.length} bytes)`, offset);
  const table = new AbbrevTable();
  for (;;) {
    const at = r.pos;
    const code = r.uleb();
    if (code === 0) break;
    const tag = r.uleb();
    const children = r.u8();
    const a: Abbrev = { code, tag, hasChildren: children !== 0, attrs: [], forms: [], implicit: [] };
    for (;;) {
      const name = r.uleb();
      const form = r.uleb();
      if (name === 0 && form === 0) break;
      a.attrs.push(name);
      a.forms.push(form);
      a.implicit.push(form === C.DW_FORM_implicit_const ? r.sleb() : 0);
    }
    if (!table.add(a)) throw r.error(`duplicate abbreviation code ${code}`, at);
  }
  return table;
}
