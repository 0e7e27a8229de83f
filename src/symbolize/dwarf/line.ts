// Line number programs (DWARF 5 §6.2 "Line Number Information"), versions 2 to 5.

import * as C from './constants.js';
import { readForm, type Encoding, type FormValue } from './forms.js';
import { DwarfError, Reader, hexOff, strAt, type DwarfSection } from './reader.js';

export interface LineFile {
  name: string;
  dirIndex: number;
}

/** One sequence (§6.2.5.3 DW_LNE_end_sequence closes it): rows sorted by address. */
export interface Sequence {
  start: bigint;
  /** Exclusive: the address of the end_sequence row. */
  end: bigint;
  addrs: BigUint64Array;
  files: Uint32Array;
  lines: Uint32Array;
  columns: Uint32Array;
  /** The same sequence as gdb's line table holds it (see gdbView), for gdb-compatible lookups. */
  gdb: GdbRows;
}

/** gdb's line entries of one sequence, sorted by address; line 0 marks the end of a file's range. */
export interface GdbRows {
  addrs: bigint[];
  files: number[];
  lines: number[];
  columns: number[];
  stmt: boolean[];
}

/** Which row answers a lookup: the DWARF rule (§6.2, as llvm-symbolizer) or gdb's. */
export type LinePolicy = 'dwarf' | 'gdb';

export interface LineRow {
  file: number;
  line: number;
  column: number;
}

export interface StringSections {
  str?: DwarfSection;
  lineStr?: DwarfSection;
  /** Resolves DW_FORM_strx* in v5 entry formats with the owning unit's str_offsets_base. */
  strx?: (index: number) => string;
}

/** Upper bound on directory / file entries, so a corrupt count cannot allocate without end. */
const MAX_ENTRIES = 1_000_000;

export class LineTable {
  version = 0;
  /** v5: include_directories[0] is the compilation directory (§6.2.4 item 22). */
  dirs: string[] = [];
  files: LineFile[] = [];
  sequences: Sequence[] = [];
  /** max(end) over sequences[0..i]: lets a lookup stop scanning back early when sequences overlap. */
  private maxEnd: bigint[] = [];

  /**
   * The path of file `index` as the line table names it: dir/name unless name is absolute.
   * v5 file indexes are 0-based and directory 0 is the comp dir; v2-4 indexes are 1-based
   * and directory 0 means "the compilation directory", so the name is left relative.
   */
  rawPath(index: number): string | null {
    const f = this.version >= 5 ? this.files[index] : index >= 1 ? this.files[index - 1] : undefined;
    if (!f) return null;
    if (f.name.startsWith('/')) return f.name;
    let dir: string | undefined;
    if (this.version >= 5) dir = this.dirs[f.dirIndex];
    else dir = f.dirIndex === 0 ? '' : this.dirs[f.dirIndex - 1];
    if (!dir) return f.name;
    return dir.endsWith('/') ? dir + f.name : `${dir}/${f.name}`;
  }

  finish(): void {
    this.sequences.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    let m = 0n;
    this.maxEnd = this.sequences.map((s) => (m = s.end > m ? s.end : m));
  }

  /**
   * §6.2: the row for addr is the last row with row.address <= addr in the sequence
   * covering addr; with several rows at that address, the first (as llvm-symbolizer). With
   * policy 'gdb', the file and line gdb's own line table gives (see gdbView), with the
   * row's column where the line is the same.
   */
  find(addr: bigint, policy: LinePolicy = 'dwarf'): LineRow | null {
    const seqs = this.sequences;
    let lo = 0;
    let hi = seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqs[mid]!.start <= addr) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0 && this.maxEnd[i]! > addr; i--) {
      const s = seqs[i]!;
      if (addr >= s.end) continue;
      const a = s.addrs;
      let l = 0;
      let h = a.length;
      while (l < h) {
        const mid = (l + h) >>> 1;
        if (a[mid]! <= addr) l = mid + 1;
        else h = mid;
      }
      const k = l - 1;
      if (k < 0) continue;
      const row = { file: s.files[k]!, line: s.lines[k]!, column: s.columns[k]! };
      if (policy === 'dwarf') return row;
      // gdb prints no column: where its line is the row's own, the row's column is exact
      // for this instruction; elsewhere the column of the entry gdb kept.
      const g = gdbFind(s.gdb, addr);
      return g && g.file === row.file && g.line === row.line ? row : g;
    }
    return null;
  }
}

/**
 * gdb's line table of a sequence (gdb 13, dwarf2/read.c lnp_state_machine::record_line and
 * buildsym.c record_line), built from the rows the program emits:
 *  - a row with line 0 is not recorded (the previous entry runs on over it);
 *  - a row in a new file at the same address as the last row is dropped unless it is_stmt;
 *  - a row with the same file and line as the last recorded one is dropped when the line
 *    has had a non-zero discriminator (PR 17276);
 *  - at a change of file, and at the end of the sequence, the previous file's range ends
 *    with a line-0 marker, which first removes that file's entries at the same address.
 */
function gdbView(addrs: readonly bigint[], files: readonly number[], lines: readonly number[], cols: readonly number[], stmt: readonly boolean[], disc: readonly boolean[], end: bigint): GdbRows {
  const out: GdbRows = { addrs: [], files: [], lines: [], columns: [], stmt: [] };
  const push = (a: bigint, f: number, l: number, c: number, st: boolean) => {
    out.addrs.push(a);
    out.files.push(f);
    out.lines.push(l);
    out.columns.push(c);
    out.stmt.push(st);
  };
  const endMarker = (f: number, a: bigint) => {
    let last: number | undefined;
    for (let i = out.addrs.length - 1; i >= 0; i--) {
      if (out.files[i] !== f) continue;
      last = out.lines[i];
      if (out.addrs[i] !== a) break;
      for (const k of ['addrs', 'files', 'lines', 'columns', 'stmt'] as const) out[k].splice(i, 1);
    }
    if (last === undefined || last === 0) return;
    push(a, f, 0, 0, true);
  };
  let lastFile: number | undefined;
  let lastLine = 0;
  let lastAddr: bigint | undefined;
  let hasDisc = false;
  for (let i = 0; i < addrs.length; i++) {
    const a = addrs[i]!;
    const f = files[i]!;
    const l = lines[i]!;
    hasDisc = disc[i]! || (i > 0 && l === lines[i - 1] && hasDisc);
    const fileChanged = lastFile !== f;
    const ignore = (fileChanged && a === lastAddr && !stmt[i]) || l === 0;
    if (!ignore) {
      if (fileChanged && lastFile !== undefined) endMarker(lastFile, a);
      if (fileChanged || l !== lastLine || !hasDisc) push(a, f, l, cols[i]!, stmt[i]!);
      lastFile = f;
      lastLine = l;
    }
    lastAddr = a;
  }
  if (lastFile !== undefined) endMarker(lastFile, end);
  return out;
}

/** gdb's find_pc_sect_line on one sequence: the last entry at or before addr, or an is_stmt entry at the same address before it. */
function gdbFind(g: GdbRows, addr: bigint): LineRow | null {
  let l = 0;
  let h = g.addrs.length;
  while (l < h) {
    const mid = (l + h) >>> 1;
    if (g.addrs[mid]! <= addr) l = mid + 1;
    else h = mid;
  }
  let k = l - 1;
  if (k < 0 || g.lines[k] === 0) return null;
  if (!g.stmt[k]) {
    let t = k;
    while (t > 0 && g.addrs[t - 1] === g.addrs[t] && g.lines[t - 1] !== 0 && !g.stmt[t]) t--;
    if (g.stmt[t]) k = t;
  }
  return { file: g.files[k]!, line: g.lines[k]!, column: g.columns[k]! };
}

/**
 * Parse the line program at `offset` in .debug_line. On corrupt input, the sequences
 * completed before the error are kept, and the error is passed to `warn`.
 * `unitAddrSize` is the owning unit's address size (v2-4 headers do not state one).
 */
export function parseLineProgram(sec: DwarfSection, offset: number, unitAddrSize: number, strs: StringSections, warn: (e: DwarfError) => void): LineTable {
  const table = new LineTable();
  try {
    parseInto(table, sec, offset, unitAddrSize, strs, warn);
  } catch (e) {
    if (!(e instanceof DwarfError)) throw e;
    warn(e);
  }
  table.finish();
  return table;
}

function parseInto(t: LineTable, sec: DwarfSection, offset: number, unitAddrSize: number, strs: StringSections, warn: (e: DwarfError) => void): void {
  const top = new Reader(sec, offset);
  if (offset >= sec.data.length) throw top.error('line program offset past the end of the section');
  // §6.2.4 The Line Number Program Header.
  const { length, offsetSize } = top.initialLength();
  const r = top.sub(length, 'line program (unit_length)');
  const version = r.u16();
  if (version < 2 || version > 5) throw r.error(`unsupported line table version ${version}`, r.pos - 2);
  t.version = version;
  let addrSize = unitAddrSize;
  if (version >= 5) {
    addrSize = r.u8();
    const segSel = r.u8();
    if (segSel !== 0) throw r.error(`segment selector size ${segSel} is not supported`, r.pos - 1);
  }
  const headerLength = r.offset(offsetSize);
  const programStart = r.pos + headerLength;
  if (programStart > r.end) throw r.error(`header_length ${hexOff(headerLength)} extends past the end of the line program`);
  const h = r.sub(headerLength, 'line program header');
  const minInst = h.u8();
  const maxOps = version >= 4 ? h.u8() : 1;
  const defaultIsStmt = h.u8() !== 0;
  const lineBase = h.i8();
  const lineRange = h.u8();
  const opcodeBase = h.u8();
  if (lineRange === 0) throw h.error('line_range is 0', h.pos - 2);
  if (opcodeBase === 0) throw h.error('opcode_base is 0', h.pos - 1);
  if (maxOps === 0) throw h.error('maximum_operations_per_instruction is 0');
  const stdLengths: number[] = [0];
  for (let i = 1; i < opcodeBase; i++) stdLengths.push(h.u8());
  // The standard opcodes have fixed operand counts (§6.2.5.2); a header that disagrees is
  // either newer than us or corrupt. We trust the spec for known opcodes, but check.
  const KNOWN = [0, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1];
  for (let i = 1; i < Math.min(opcodeBase, KNOWN.length); i++) {
    if (stdLengths[i] !== KNOWN[i]) throw h.error(`unknown standard opcode count: opcode ${i} has ${stdLengths[i]} operands, expected ${KNOWN[i]}`, offset);
  }
  const enc: Encoding = { version, addrSize, offsetSize };

  if (version >= 5) {
    // §6.2.4 items 20-26: entry formats, then directories and file names.
    const readEntries = (what: string): Map<number, FormValue>[] => {
      const fmtCount = h.u8();
      const fmt: [number, number][] = [];
      for (let i = 0; i < fmtCount; i++) fmt.push([h.uleb(), h.uleb()]);
      const countAt = h.pos;
      const count = h.uleb();
      if (count > MAX_ENTRIES || (count > 0 && fmtCount === 0)) throw h.error(`bad ${what} count ${count}`, countAt);
      const out: Map<number, FormValue>[] = [];
      for (let i = 0; i < count; i++) {
        const m = new Map<number, FormValue>();
        for (const [ct, form] of fmt) m.set(ct, readForm(h, form, enc));
        out.push(m);
      }
      return out;
    };
    const str = (v: FormValue | undefined): string => {
      if (!v) return '';
      if (typeof v.value === 'string') return v.value;
      switch (v.form) {
        case C.DW_FORM_line_strp: return strAt(strs.lineStr, v.value as number, '.debug_line_str');
        case C.DW_FORM_strp: return strAt(strs.str, v.value as number, '.debug_str');
        case C.DW_FORM_strx: case C.DW_FORM_strx1: case C.DW_FORM_strx2: case C.DW_FORM_strx3: case C.DW_FORM_strx4:
          if (strs.strx) return strs.strx(v.value as number);
      }
      throw new DwarfError(`.debug_line+${hexOff(offset)}: path in form 0x${v.form.toString(16)} is not supported`);
    };
    const num = (v: FormValue | undefined): number => (v && typeof v.value === 'number' ? v.value : v && typeof v.value === 'bigint' ? Number(v.value) : 0);
    t.dirs = readEntries('directory').map((m) => str(m.get(C.DW_LNCT_path)));
    t.files = readEntries('file name').map((m) => ({ name: str(m.get(C.DW_LNCT_path)), dirIndex: num(m.get(C.DW_LNCT_directory_index)) }));
  } else {
    // §6.2.4 (DWARF 4) include_directories and file_names: NUL-string lists ending in "".
    for (;;) {
      const d = h.cstr();
      if (d === '') break;
      t.dirs.push(d);
    }
    for (;;) {
      const name = h.cstr();
      if (name === '') break;
      const dirIndex = h.uleb();
      h.skipLeb(); // mtime
      h.skipLeb(); // length
      t.files.push({ name, dirIndex });
    }
  }

  // §6.2.5 The Line Number Program.
  r.pos = programStart;
  runProgram(t, r, { minInst, maxOps, defaultIsStmt, lineBase, lineRange, opcodeBase, stdLengths, addrSize }, warn);
}

interface Params {
  minInst: number;
  maxOps: number;
  defaultIsStmt: boolean;
  lineBase: number;
  lineRange: number;
  opcodeBase: number;
  stdLengths: number[];
  addrSize: number;
}

const MASK64 = 0xffff_ffff_ffff_ffffn;

function runProgram(t: LineTable, r: Reader, p: Params, warn: (e: DwarfError) => void): void {
  // §6.2.2 State machine registers.
  let address = 0n;
  let opIndex = 0;
  let file = 1;
  let line = 1;
  let column = 0;
  // Rows of the sequence being built.
  let addrs: bigint[] = [];
  let files: number[] = [];
  let lines: number[] = [];
  let cols: number[] = [];
  let stmts: boolean[] = [];
  let discs: boolean[] = [];
  let isStmt = p.defaultIsStmt;
  let discriminator = 0;
  let bad = false;
  const minInst = BigInt(p.minInst);

  const reset = () => {
    address = 0n;
    opIndex = 0;
    file = 1;
    line = 1;
    column = 0;
    addrs = [];
    files = [];
    lines = [];
    cols = [];
    stmts = [];
    discs = [];
    isStmt = p.defaultIsStmt;
    discriminator = 0;
    bad = false;
  };
  const emit = (at: number) => {
    if (bad) return;
    const n = addrs.length;
    if (n > 0 && address < addrs[n - 1]!) {
      // Rows in a sequence must not go backwards (§6.2.5: "address ... may only increase").
      // Drop the whole sequence; the others stay usable.
      bad = true;
      warn(r.error(`line program address goes backwards (0x${address.toString(16)} after 0x${addrs[n - 1]!.toString(16)}); sequence dropped`, at));
      return;
    }
    addrs.push(address);
    files.push(file);
    lines.push(line >>> 0);
    cols.push(column);
    stmts.push(isStmt);
    discs.push(discriminator !== 0);
    discriminator = 0;
  };
  const endSequence = (at: number) => {
    emit(at);
    if (!bad && addrs.length >= 2) {
      const n = addrs.length - 1; // the end_sequence row only marks the end
      const start = addrs[0]!;
      const end = addrs[n]!;
      if (end > start) {
        t.sequences.push({
          start,
          end,
          addrs: BigUint64Array.from(addrs.slice(0, n)),
          files: Uint32Array.from(files.slice(0, n)),
          lines: Uint32Array.from(lines.slice(0, n)),
          columns: Uint32Array.from(cols.slice(0, n)),
          gdb: gdbView(addrs.slice(0, n), files.slice(0, n), lines.slice(0, n), cols.slice(0, n), stmts.slice(0, n), discs.slice(0, n), end),
        });
      }
    }
    reset();
  };
  /** §6.2.5.1 "operation advance" (with VLIW op_index when maximum_operations_per_instruction > 1). */
  const advance = (opAdvance: number) => {
    if (p.maxOps === 1) {
      address = (address + minInst * BigInt(opAdvance)) & MASK64;
    } else {
      const total = opIndex + opAdvance;
      address = (address + minInst * BigInt(Math.floor(total / p.maxOps))) & MASK64;
      opIndex = total % p.maxOps;
    }
  };

  while (!r.atEnd) {
    const at = r.pos;
    const op = r.u8();
    if (op >= p.opcodeBase) {
      // §6.2.5.1 Special Opcodes.
      const adj = op - p.opcodeBase;
      advance(Math.floor(adj / p.lineRange));
      line += p.lineBase + (adj % p.lineRange);
      emit(at);
      continue;
    }
    if (op === 0) {
      // §6.2.5.3 Extended Opcodes.
      const len = r.uleb();
      if (len === 0) continue;
      const body = r.sub(len, 'extended opcode');
      r.pos += len;
      const sub = body.u8();
      switch (sub) {
        case C.DW_LNE_end_sequence:
          endSequence(at);
          break;
        case C.DW_LNE_set_address:
          address = body.addr(len - 1 === 8 || len - 1 === 4 || len - 1 === 2 ? len - 1 : p.addrSize);
          opIndex = 0;
          break;
        case C.DW_LNE_define_file: {
          const name = body.cstr();
          const dirIndex = body.uleb();
          t.files.push({ name, dirIndex });
          break;
        }
        case C.DW_LNE_set_discriminator:
          discriminator = body.uleb();
          break;
        default:
          break; // vendor opcodes: skipped by length
      }
      continue;
    }
    // §6.2.5.2 Standard Opcodes.
    switch (op) {
      case C.DW_LNS_copy:
        emit(at);
        break;
      case C.DW_LNS_advance_pc:
        advance(r.uleb());
        break;
      case C.DW_LNS_advance_line:
        line += r.sleb();
        break;
      case C.DW_LNS_set_file:
        file = r.uleb();
        break;
      case C.DW_LNS_set_column:
        column = r.uleb();
        break;
      case C.DW_LNS_negate_stmt:
        isStmt = !isStmt;
        break;
      case C.DW_LNS_set_basic_block:
      case C.DW_LNS_set_prologue_end:
      case C.DW_LNS_set_epilogue_begin:
        break;
      case C.DW_LNS_const_add_pc:
        advance(Math.floor((255 - p.opcodeBase) / p.lineRange));
        break;
      case C.DW_LNS_fixed_advance_pc:
        address = (address + BigInt(r.u16())) & MASK64;
        opIndex = 0;
        break;
      case C.DW_LNS_set_isa:
        r.skipLeb();
        break;
      default:
        // An opcode this reader does not know: skip its ULEB operands as the header declares.
        for (let i = 0; i < (p.stdLengths[op] ?? 0); i++) r.skipLeb();
    }
  }
  if (addrs.length > 0 && !bad) warn(r.error('line program ends inside a sequence (no DW_LNE_end_sequence); last sequence dropped'));
}
