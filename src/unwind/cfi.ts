// DWARF Call Frame Information: the .eh_frame / .debug_frame reader, the row evaluator
// and one unwind step.
//
// Formats: DWARF 5 §6.4 "Call Frame Information" (.debug_frame: CIE id 0xffffffff, or
// 0xffffffffffffffff in 64-bit DWARF; CIE pointer = offset from the section start;
// versions 1, 3 and 4) and the Linux Standard Base's ".eh_frame" description (CIE id 0;
// CIE pointer = distance back from the pointer field itself; augmentation strings with
// 'z' data; DW_EH_PE_* pointer encodings; a zero length ends the section).
//
// Lookup follows gdb (gdb/dwarf2/frame.c, dwarf2_build_frame_info): every FDE of both
// sections goes in one array sorted by start address; when a .debug_frame FDE and an
// .eh_frame FDE start at the same address the .debug_frame one is kept; FDEs that start at
// 0 and overlap the first non-zero one are leftovers of --gc-sections and are dropped;
// the FDE for a pc is the one with the greatest start <= pc, if pc is below its end.
// Empty FDEs (range 0) are dropped too: they cover nothing and would only shadow others.
//
// Nothing here throws on bad data once constructed: a corrupt entry becomes one line in
// `warnings` ("<section>+0x<offset>: what") and the pcs it would have covered get null.
//
// Register numbers are DWARF numbers throughout; which one is the stack pointer or the
// return address is the arch table's business, except for the CIE's own return column.

import { SHT_NOBITS, type ElfFile } from '../loader/elf.js';
import { Reader, DwarfError, hexOff, type DwarfSection } from '../symbolize/dwarf/reader.js';

export type CfaRule = { kind: 'reg'; reg: number; offset: bigint } | { kind: 'expr'; expr: Uint8Array };

export type RegRule =
  | { kind: 'undefined' }
  | { kind: 'same' }
  /** Saved at CFA+offset. */
  | { kind: 'offset'; offset: bigint }
  /** The value is CFA+offset. */
  | { kind: 'val-offset'; offset: bigint }
  | { kind: 'register'; reg: number }
  | { kind: 'expr'; expr: Uint8Array }
  | { kind: 'val-expr'; expr: Uint8Array };

export interface CfiRow {
  /** FDE's pc range [start, end) and the row's own start location. */
  fdeStart: bigint;
  fdeEnd: bigint;
  rowStart: bigint;
  cfa: CfaRule;
  /** Rules for registers the CIE/FDE mention (DWARF register numbers); others are 'same' (callee-saved) by default. */
  regs: Map<number, RegRule>;
  returnColumn: number;
  /** True when the CIE augmentation has 'S' (signal frame). */
  signalFrame: boolean;
  /** Where it came from, for reports: '.eh_frame' or '.debug_frame'. */
  section: string;
  /**
   * AArch64 pointer authentication: true when an odd number of DW_CFA_AARCH64_negate_ra_state
   * ops is in effect at the row, i.e. the return address was signed (PACIASP/PACIBSP) and
   * needs its PAC bits stripped. Absent when false. Recorded only; unwindStep ignores it.
   */
  raSigned?: boolean;
}

export interface UnwindRegs {
  /** Value of a DWARF-numbered register in the frame being unwound; undefined when unknown. */
  get(reg: number): bigint | undefined;
}

export interface UnwindStepResult {
  cfa: bigint;
  /**
   * The caller's register values that the row determines (DWARF numbers), including the
   * return address under returnColumn. Registers whose rule is 'same' carry over from the
   * callee's values when known.
   */
  regs: Map<number, bigint>;
  returnAddress: bigint;
}

// ---------------------------------------------------------------------------------------
// Constants (DWARF 5 §7.24 Table 7.29 "Call frame instruction encodings"; LSB DW_EH_PE_*).

const DW_CFA_advance_loc = 0x40;
const DW_CFA_offset = 0x80;
const DW_CFA_restore = 0xc0;
const DW_CFA_nop = 0x00;
const DW_CFA_set_loc = 0x01;
const DW_CFA_advance_loc1 = 0x02;
const DW_CFA_advance_loc2 = 0x03;
const DW_CFA_advance_loc4 = 0x04;
const DW_CFA_offset_extended = 0x05;
const DW_CFA_restore_extended = 0x06;
const DW_CFA_undefined = 0x07;
const DW_CFA_same_value = 0x08;
const DW_CFA_register = 0x09;
const DW_CFA_remember_state = 0x0a;
const DW_CFA_restore_state = 0x0b;
const DW_CFA_def_cfa = 0x0c;
const DW_CFA_def_cfa_register = 0x0d;
const DW_CFA_def_cfa_offset = 0x0e;
const DW_CFA_def_cfa_expression = 0x0f;
const DW_CFA_expression = 0x10;
const DW_CFA_offset_extended_sf = 0x11;
const DW_CFA_def_cfa_sf = 0x12;
const DW_CFA_def_cfa_offset_sf = 0x13;
const DW_CFA_val_offset = 0x14;
const DW_CFA_val_offset_sf = 0x15;
const DW_CFA_val_expression = 0x16;
const DW_CFA_MIPS_advance_loc8 = 0x1d;
/** DW_CFA_GNU_window_save on SPARC; on AArch64 the same opcode is DW_CFA_AARCH64_negate_ra_state. */
const DW_CFA_AARCH64_negate_ra_state = 0x2d;
const DW_CFA_GNU_args_size = 0x2e;
const DW_CFA_GNU_negative_offset_extended = 0x2f;

const DW_EH_PE_omit = 0xff;
const DW_EH_PE_absptr = 0x00;
const DW_EH_PE_uleb128 = 0x01;
const DW_EH_PE_udata2 = 0x02;
const DW_EH_PE_udata4 = 0x03;
const DW_EH_PE_udata8 = 0x04;
const DW_EH_PE_signed = 0x08;
const DW_EH_PE_sleb128 = 0x09;
const DW_EH_PE_sdata2 = 0x0a;
const DW_EH_PE_sdata4 = 0x0b;
const DW_EH_PE_sdata8 = 0x0c;
const DW_EH_PE_pcrel = 0x10;
const DW_EH_PE_textrel = 0x20;
const DW_EH_PE_datarel = 0x30;
const DW_EH_PE_funcrel = 0x40;
const DW_EH_PE_aligned = 0x50;
const DW_EH_PE_indirect = 0x80;

/** Instructions executed for one row; a loop of advance_loc 0 cannot run away. */
const MAX_CFA_OPS = 100_000;
/** Depth of remember_state; real code nests one or two. */
const MAX_REMEMBER = 64;

// ---------------------------------------------------------------------------------------
// Parsed entries.

interface FrameSection {
  /** '.eh_frame' or '.debug_frame'. */
  name: string;
  isEh: boolean;
  data: DwarfSection;
  /** Address of the section's first byte (0 for non-allocated .debug_frame). */
  addr: bigint;
}

interface Cie {
  sec: FrameSection;
  offset: number;
  codeAlign: bigint;
  dataAlign: bigint;
  returnColumn: number;
  /** DW_EH_PE_* for FDE addresses ('R'); absent: absptr in .eh_frame, -1 (address_size bytes) in .debug_frame. */
  fdeEncoding: number;
  /** Whether the FDEs carry augmentation data ('z'). */
  hasAugData: boolean;
  signalFrame: boolean;
  addressSize: number;
  /** Initial instructions: [start, end) inside the section. */
  insnStart: number;
  insnEnd: number;
}

interface Fde {
  sec: FrameSection;
  offset: number;
  cie: Cie;
  start: bigint;
  end: bigint;
  insnStart: number;
  insnEnd: number;
}

class CfiError extends Error {}

const hex = (v: bigint | number) => '0x' + v.toString(16);
const warn = (sec: FrameSection, at: number, msg: string) => `${sec.name}+${hexOff(at)}: ${msg}`;

function maskFor(bits: number): bigint {
  return bits === 32 ? 0xffff_ffffn : 0xffff_ffff_ffff_ffffn;
}

/** Rule state while running CFA instructions (the CFA rule is part of the remembered state, as in gdb and libgcc). */
interface State {
  cfaReg: number;
  cfaOffset: bigint;
  cfaExpr: Uint8Array | null;
  regs: Map<number, RegRule>;
  raSigned: boolean;
}

const cloneState = (s: State): State => ({ ...s, regs: new Map(s.regs) });

// ---------------------------------------------------------------------------------------

export class CallFrameInfo {
  readonly warnings: string[] = [];
  private readonly seen = new Set<string>();
  private readonly elf: ElfFile;
  private table: Fde[] | null = null;
  /** Sorted FDE starts, for the binary search (parallel to `table`). */
  private starts: bigint[] = [];
  private readonly mask: bigint;
  private readonly ptrSize: number;
  private textBase: bigint | null = null;
  private dataBase: bigint | null = null;

  private constructor(elf: ElfFile) {
    this.elf = elf;
    this.mask = maskFor(elf.bits);
    this.ptrSize = elf.bits / 8;
  }

  /** Cheap: only remembers the ELF; the sections are read on the first rowAt (or fdeCount). */
  static fromElf(elf: ElfFile): CallFrameInfo {
    return new CallFrameInfo(elf);
  }

  /** Number of FDEs indexed (for tests). */
  get fdeCount(): number {
    return this.index().length;
  }

  /** The FDE covering pc, or null. */
  private fdeFor(pc: bigint): Fde | null {
    const table = this.index();
    // Greatest start <= pc.
    let lo = 0;
    let hi = table.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid]! <= pc) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return null;
    const fde = table[lo - 1]!;
    return pc < fde.end ? fde : null;
  }

  /** The pc range of the FDE covering pc: a function's bounds in a program without symbols. */
  rangeAt(pc: bigint): { start: bigint; end: bigint } | null {
    const fde = this.fdeFor(pc);
    return fde ? { start: fde.start, end: fde.end } : null;
  }

  /** Every FDE's start, ascending: known function entries in a program without symbols. */
  fdeStarts(): readonly bigint[] {
    this.index();
    return this.starts;
  }

  /** The row in effect at pc, or null when no (usable) FDE covers pc. */
  rowAt(pc: bigint): CfiRow | null {
    const fde = this.fdeFor(pc);
    if (!fde) return null;
    // Evaluated on every call (a few dozen instructions): like gdb, a bad instruction only
    // costs the pcs at or after it; the warning is given once.
    try {
      return this.evaluate(fde, pc);
    } catch (e) {
      if (e instanceof CfiError) this.addWarning(e.message);
      else if (e instanceof DwarfError) this.addWarning(warn(fde.sec, fde.offset, `FDE instructions: ${e.message}`));
      else this.addWarning(warn(fde.sec, fde.offset, `FDE instructions: internal error: ${(e as Error).message}`));
      return null;
    }
  }

  private addWarning(msg: string): void {
    if (this.seen.has(msg)) return;
    this.seen.add(msg);
    this.warnings.push(msg);
  }

  // -------------------------------------------------------------------------------------
  // Index: every FDE of .debug_frame and .eh_frame, in gdb's order.

  private index(): Fde[] {
    if (this.table) return this.table;
    const elf = this.elf;
    const text = elf.sections.find((s) => s.name === '.text');
    const got = elf.sections.find((s) => s.name === '.got');
    this.textBase = text ? text.addr : null;
    this.dataBase = got ? got.addr : null;
    const all: { fde: Fde; eh: boolean; order: number }[] = [];
    for (const name of ['.eh_frame', '.debug_frame']) {
      for (const s of elf.sections) {
        if (s.name !== name || s.type === SHT_NOBITS || s.size === 0n) continue;
        const off = Number(s.offset);
        const size = Number(s.size);
        if (off + size > elf.bytes.length) {
          this.addWarning(`${name}: section (offset ${hexOff(off)}, size ${hexOff(size)}) extends beyond the end of the file`);
          continue;
        }
        const sec: FrameSection = { name, isEh: name === '.eh_frame', data: { name, data: elf.bytes.subarray(off, off + size) }, addr: s.addr };
        for (const fde of this.scan(sec)) all.push({ fde, eh: sec.isEh, order: all.length });
      }
    }
    all.sort((a, b) => {
      if (a.fde.start !== b.fde.start) return a.fde.start < b.fde.start ? -1 : 1;
      if (a.eh !== b.eh) return a.eh ? 1 : -1;
      return a.order - b.order;
    });
    const firstNonZero = all.find((x) => x.fde.start !== 0n);
    const table: Fde[] = [];
    for (const { fde } of all) {
      if (fde.start === 0n && firstNonZero && firstNonZero.fde.start < fde.end) continue;
      if (table.length > 0 && table[table.length - 1]!.start === fde.start) continue;
      table.push(fde);
    }
    this.table = table;
    this.starts = table.map((f) => f.start);
    return table;
  }

  /** Walk one section's entries; a bad entry is skipped, a bad length ends the section. */
  private scan(sec: FrameSection): Fde[] {
    const out: Fde[] = [];
    const cies = new Map<number, Cie | null>();
    const size = sec.data.data.length;
    let pos = 0;
    while (pos < size) {
      const at = pos;
      const r = new Reader(sec.data, pos);
      let length: number;
      let offsetSize: 4 | 8;
      try {
        if (r.remaining < 4) throw new CfiError(warn(sec, at, `${r.remaining} stray bytes at the end of the section`));
        ({ length, offsetSize } = r.initialLength());
      } catch (e) {
        this.addWarning(e instanceof Error ? e.message : String(e));
        break;
      }
      if (length === 0) {
        // .eh_frame: the zero terminator. .debug_frame: an empty entry (padding); go on.
        if (sec.isEh) break;
        pos = r.pos;
        continue;
      }
      const end = r.pos + length;
      if (end > size) {
        this.addWarning(warn(sec, at, `entry length ${hexOff(length)} runs past the end of the section (${hexOff(size)} bytes)`));
        break;
      }
      pos = end;
      try {
        const body = new Reader(sec.data, r.pos, end);
        const idAt = body.pos;
        const idSize = sec.isEh ? 4 : offsetSize;
        const id = idSize === 8 ? body.u64() : BigInt(body.u32());
        const isCie = sec.isEh ? id === 0n : id === (offsetSize === 8 ? 0xffff_ffff_ffff_ffffn : 0xffff_ffffn);
        if (isCie) {
          if (!cies.has(at)) cies.set(at, this.cieOrWarn(sec, at, body, end));
          continue;
        }
        const cieAt = sec.isEh ? idAt - Number(id) : Number(id);
        if (sec.isEh && id > BigInt(idAt)) throw new CfiError(warn(sec, at, `FDE's CIE pointer ${hex(id)} points before the section start`));
        if (cieAt < 0 || cieAt >= size) throw new CfiError(warn(sec, at, `FDE's CIE pointer ${hex(id)} is outside the section`));
        let cie = cies.get(cieAt);
        if (cie === undefined) {
          cie = this.cieAtOffset(sec, cieAt, at);
          cies.set(cieAt, cie);
        }
        // A CIE that could not be read was reported once; its FDEs are left out quietly.
        if (!cie) continue;
        const fde = this.readFde(sec, at, body, cie, end);
        if (fde && fde.end > fde.start) out.push(fde);
      } catch (e) {
        if (e instanceof CfiError) this.addWarning(e.message);
        else if (e instanceof DwarfError) this.addWarning(warn(sec, at, `entry is truncated or corrupt (${e.message})`));
        else this.addWarning(warn(sec, at, `internal error: ${(e as Error).message}`)); // never throw on data
      }
    }
    return out;
  }

  /** The CIE an FDE points at, checked to be one. */
  private cieAtOffset(sec: FrameSection, cieAt: number, fdeAt: number): Cie | null {
    const r = new Reader(sec.data, cieAt);
    try {
      const { length, offsetSize } = r.initialLength();
      const end = r.pos + length;
      if (length === 0 || end > sec.data.data.length) throw new CfiError(warn(sec, fdeAt, `FDE's CIE pointer leads to ${hexOff(cieAt)}, which is not a CIE`));
      const body = new Reader(sec.data, r.pos, end);
      const idSize = sec.isEh ? 4 : offsetSize;
      const id = idSize === 8 ? body.u64() : BigInt(body.u32());
      const isCie = sec.isEh ? id === 0n : id === (offsetSize === 8 ? 0xffff_ffff_ffff_ffffn : 0xffff_ffffn);
      if (!isCie) throw new CfiError(warn(sec, fdeAt, `FDE's CIE pointer leads to ${hexOff(cieAt)}, which is not a CIE`));
      return this.cieOrWarn(sec, cieAt, body, end);
    } catch (e) {
      if (!(e instanceof CfiError || e instanceof DwarfError)) throw e;
      this.addWarning(e instanceof DwarfError ? warn(sec, fdeAt, `FDE's CIE pointer leads to ${hexOff(cieAt)}, which is not a CIE`) : e.message);
      return null;
    }
  }

  private cieOrWarn(sec: FrameSection, at: number, body: Reader, end: number): Cie | null {
    try {
      return this.readCie(sec, at, body, end);
    } catch (e) {
      if (!(e instanceof CfiError || e instanceof DwarfError)) throw e;
      this.addWarning(e instanceof DwarfError ? warn(sec, at, `CIE is truncated or corrupt (${e.message})`) : e.message);
      return null;
    }
  }

  /** A CIE body after its id (DWARF 5 §6.4.1; LSB "The Common Information Entry Format"). */
  private readCie(sec: FrameSection, at: number, r: Reader, end: number): Cie {
    const version = r.u8();
    const okVersion = sec.isEh ? version === 1 || version === 3 : version === 1 || version === 3 || version === 4;
    if (!okVersion) throw new CfiError(warn(sec, at, `CIE version ${version} is not supported`));
    const aug = r.cstr();
    let addressSize = this.ptrSize;
    if (version === 4) {
      addressSize = r.u8();
      const segSize = r.u8();
      if (addressSize !== 4 && addressSize !== 8) throw new CfiError(warn(sec, at, `CIE address size ${addressSize} is not supported`));
      if (segSize !== 0) throw new CfiError(warn(sec, at, `CIE segment selector size ${segSize} is not supported`));
    }
    const codeAlign = r.ulebBig();
    const dataAlign = r.slebBig();
    const returnColumn = version === 1 ? r.u8() : r.uleb();
    const cie: Cie = {
      sec, offset: at, codeAlign, dataAlign, returnColumn,
      fdeEncoding: sec.isEh ? DW_EH_PE_absptr : -1,
      hasAugData: false, signalFrame: false, addressSize, insnStart: 0, insnEnd: end,
    };
    const notUnderstood = () => new CfiError(warn(sec, at, `CIE augmentation '${aug}' is not understood`));
    if (aug.length > 0) {
      if (aug[0] !== 'z') throw notUnderstood();
      cie.hasAugData = true;
      const augLen = r.uleb();
      const data = r.sub(augLen, 'CIE augmentation data');
      for (const c of aug.slice(1)) {
        switch (c) {
          case 'R': cie.fdeEncoding = data.u8(); break;
          case 'L': data.u8(); break; // LSDA encoding: the FDE's LSDA pointer is skipped with 'z'.
          case 'P': {
            const enc = data.u8();
            this.readEncoded(data, enc, sec, { personality: true });
            break;
          }
          case 'S': cie.signalFrame = true; break;
          case 'B': break; // AArch64: return address signed with the B key.
          case 'G': break; // AArch64 MTE: tagged stack frames.
          default: throw notUnderstood();
        }
      }
      r.pos = data.end;
    }
    if (cie.fdeEncoding !== -1 && cie.fdeEncoding !== DW_EH_PE_omit && (cie.fdeEncoding & DW_EH_PE_indirect)) {
      throw new CfiError(warn(sec, at, `FDE pointer encoding ${hexOff(cie.fdeEncoding)} (indirect) is not supported`));
    }
    cie.insnStart = r.pos;
    return cie;
  }

  /** An FDE body after its CIE pointer. */
  private readFde(sec: FrameSection, at: number, r: Reader, cie: Cie, end: number): Fde | null {
    let start: bigint;
    let range: bigint;
    if (cie.fdeEncoding === -1) {
      // .debug_frame without 'R': target addresses of the CIE's address size.
      start = r.addr(cie.addressSize);
      range = r.addr(cie.addressSize);
    } else {
      const s = this.readEncoded(r, cie.fdeEncoding, sec, {});
      if (s === null) throw new CfiError(warn(sec, at, `FDE start address is omitted`));
      start = s;
      const rr = this.readEncoded(r, cie.fdeEncoding & 0x0f, sec, {});
      range = rr ?? 0n;
    }
    if (cie.hasAugData) {
      const augLen = r.uleb();
      r.skip(augLen, 'FDE augmentation data');
    }
    return { sec, offset: at, cie, start, end: (start + range) & this.mask, insnStart: r.pos, insnEnd: end };
  }

  /**
   * A DW_EH_PE_* encoded pointer (LSB "DWARF Exception Header Encoding"). Null for
   * DW_EH_PE_omit. `personality`: an indirect pointer is fine (its value is not used).
   */
  private readEncoded(r: Reader, enc: number, sec: FrameSection, opts: { personality?: boolean; funcBase?: bigint }): bigint | null {
    if (enc === DW_EH_PE_omit) return null;
    const fieldAt = r.pos;
    const app = enc & 0x70;
    let base = 0n;
    switch (app) {
      case 0: break;
      case DW_EH_PE_pcrel: base = sec.addr + BigInt(fieldAt); break;
      case DW_EH_PE_textrel:
        if (this.textBase === null) throw r.error(`DW_EH_PE_textrel pointer but the ELF has no .text section`, fieldAt);
        base = this.textBase;
        break;
      case DW_EH_PE_datarel:
        if (this.dataBase === null) throw r.error(`DW_EH_PE_datarel pointer but the ELF has no .got section`, fieldAt);
        base = this.dataBase;
        break;
      case DW_EH_PE_funcrel:
        if (opts.funcBase === undefined) throw r.error(`DW_EH_PE_funcrel pointer outside an FDE`, fieldAt);
        base = opts.funcBase;
        break;
      case DW_EH_PE_aligned: {
        const a = BigInt(this.ptrSize);
        const addr = sec.addr + BigInt(r.pos);
        const pad = Number((a - (addr % a)) % a);
        r.skip(pad, 'alignment');
        break;
      }
      default:
        throw r.error(`pointer encoding ${hexOff(enc)} is not understood`, fieldAt);
    }
    let v: bigint;
    switch (enc & 0x0f) {
      case DW_EH_PE_absptr: v = r.addr(this.ptrSize); break;
      case DW_EH_PE_signed: v = this.ptrSize === 8 ? BigInt.asIntN(64, r.u64()) : BigInt(r.u32() | 0); break;
      case DW_EH_PE_uleb128: v = r.ulebBig(); break;
      case DW_EH_PE_udata2: v = BigInt(r.u16()); break;
      case DW_EH_PE_udata4: v = BigInt(r.u32()); break;
      case DW_EH_PE_udata8: v = r.u64(); break;
      case DW_EH_PE_sleb128: v = r.slebBig(); break;
      case DW_EH_PE_sdata2: v = BigInt((r.u16() << 16) >> 16); break;
      case DW_EH_PE_sdata4: v = BigInt(r.u32() | 0); break;
      case DW_EH_PE_sdata8: v = BigInt.asIntN(64, r.u64()); break;
      default:
        throw r.error(`pointer encoding ${hexOff(enc)} is not understood`, fieldAt);
    }
    if ((enc & DW_EH_PE_indirect) && !opts.personality) {
      throw r.error(`indirect pointer encoding ${hexOff(enc)} is not supported here`, fieldAt);
    }
    return (base + v) & this.mask;
  }

  // -------------------------------------------------------------------------------------
  // Rows (DWARF 5 §6.4.2 "Call Frame Instructions", §6.4.4 "Call Frame Calling Address").

  private evaluate(fde: Fde, pc: bigint): CfiRow {
    const cie = fde.cie;
    const state: State = { cfaReg: 0, cfaOffset: 0n, cfaExpr: null, regs: new Map(), raSigned: false };
    // The CIE's initial instructions: rows there have no addresses; run them all.
    this.run(cie, cie.sec, cie.insnStart, cie.insnEnd, state, null, null, fde);
    const initial = new Map(state.regs);
    const loc = { at: fde.start };
    this.run(cie, fde.sec, fde.insnStart, fde.insnEnd, state, initial, { pc, loc }, fde);
    const cfa: CfaRule = state.cfaExpr ? { kind: 'expr', expr: state.cfaExpr } : { kind: 'reg', reg: state.cfaReg, offset: state.cfaOffset };
    const row: CfiRow = {
      fdeStart: fde.start,
      fdeEnd: fde.end,
      rowStart: loc.at,
      cfa,
      regs: state.regs,
      returnColumn: cie.returnColumn,
      signalFrame: cie.signalFrame,
      section: fde.sec.name,
    };
    if (state.raSigned) row.raSigned = true;
    return row;
  }

  /**
   * Run CFA instructions in [start, end) of `sec`. `initial` is the CIE's rule set (for
   * DW_CFA_restore; null while running the CIE itself). `until`: stop before an advance
   * that would move the location past pc (gdb's execute_cfa_program).
   */
  private run(
    cie: Cie,
    sec: FrameSection,
    start: number,
    end: number,
    state: State,
    initial: Map<number, RegRule> | null,
    until: { pc: bigint; loc: { at: bigint } } | null,
    fde: Fde,
  ): void {
    const r = new Reader(sec.data, start, end);
    const stack: State[] = [];
    const fail = (msg: string, at: number): never => {
      throw new CfiError(warn(sec, at, `${initial ? 'FDE' : 'CIE'} instructions: ${msg}`));
    };
    const advance = (delta: bigint): boolean => {
      if (!until) return true; // CIE: locations are meaningless.
      const next = (until.loc.at + delta * cie.codeAlign) & this.mask;
      if (next > until.pc) return false;
      until.loc.at = next;
      return true;
    };
    const setReg = (reg: number, rule: RegRule) => state.regs.set(reg, rule);
    const restore = (reg: number) => {
      const rule = initial?.get(reg);
      if (rule) state.regs.set(reg, rule);
      else state.regs.delete(reg);
    };
    let ops = 0;
    while (r.pos < r.end) {
      if (++ops > MAX_CFA_OPS) fail(`more than ${MAX_CFA_OPS} instructions`, r.pos);
      const opAt = r.pos;
      const op = r.u8();
      const hi = op & 0xc0;
      const lo = op & 0x3f;
      if (hi === DW_CFA_advance_loc) {
        if (!advance(BigInt(lo))) return;
        continue;
      }
      if (hi === DW_CFA_offset) {
        setReg(lo, { kind: 'offset', offset: r.ulebBig() * cie.dataAlign });
        continue;
      }
      if (hi === DW_CFA_restore) {
        restore(lo);
        continue;
      }
      switch (op) {
        case DW_CFA_nop: break;
        case DW_CFA_set_loc: {
          const enc = cie.fdeEncoding === -1 ? -1 : cie.fdeEncoding;
          const addr = enc === -1 ? r.addr(cie.addressSize) : this.readEncoded(r, enc, sec, { funcBase: fde.start });
          if (addr === null) fail('DW_CFA_set_loc with an omitted address', opAt);
          if (until) {
            if (addr! > until.pc) return;
            until.loc.at = addr!;
          }
          break;
        }
        case DW_CFA_advance_loc1: if (!advance(BigInt(r.u8()))) return; break;
        case DW_CFA_advance_loc2: if (!advance(BigInt(r.u16()))) return; break;
        case DW_CFA_advance_loc4: if (!advance(BigInt(r.u32()))) return; break;
        case DW_CFA_MIPS_advance_loc8: if (!advance(r.u64())) return; break;
        case DW_CFA_offset_extended: {
          const reg = r.uleb();
          setReg(reg, { kind: 'offset', offset: r.ulebBig() * cie.dataAlign });
          break;
        }
        case DW_CFA_offset_extended_sf: {
          const reg = r.uleb();
          setReg(reg, { kind: 'offset', offset: r.slebBig() * cie.dataAlign });
          break;
        }
        case DW_CFA_GNU_negative_offset_extended: {
          const reg = r.uleb();
          setReg(reg, { kind: 'offset', offset: -(r.ulebBig() * cie.dataAlign) });
          break;
        }
        case DW_CFA_val_offset: {
          const reg = r.uleb();
          setReg(reg, { kind: 'val-offset', offset: r.ulebBig() * cie.dataAlign });
          break;
        }
        case DW_CFA_val_offset_sf: {
          const reg = r.uleb();
          setReg(reg, { kind: 'val-offset', offset: r.slebBig() * cie.dataAlign });
          break;
        }
        case DW_CFA_restore_extended: restore(r.uleb()); break;
        case DW_CFA_undefined: setReg(r.uleb(), { kind: 'undefined' }); break;
        case DW_CFA_same_value: setReg(r.uleb(), { kind: 'same' }); break;
        case DW_CFA_register: {
          const reg = r.uleb();
          setReg(reg, { kind: 'register', reg: r.uleb() });
          break;
        }
        case DW_CFA_remember_state:
          if (stack.length >= MAX_REMEMBER) fail(`DW_CFA_remember_state nested more than ${MAX_REMEMBER} deep`, opAt);
          stack.push(cloneState(state));
          break;
        case DW_CFA_restore_state: {
          const saved = stack.pop();
          // gdb complains and goes on with the current rules; so do we.
          if (!saved) this.addWarning(warn(sec, opAt, `${initial ? 'FDE' : 'CIE'} instructions: DW_CFA_restore_state without a DW_CFA_remember_state (ignored)`));
          else Object.assign(state, saved);
          break;
        }
        case DW_CFA_def_cfa:
          state.cfaReg = r.uleb();
          state.cfaOffset = r.ulebBig();
          state.cfaExpr = null;
          break;
        case DW_CFA_def_cfa_sf:
          state.cfaReg = r.uleb();
          state.cfaOffset = r.slebBig() * cie.dataAlign;
          state.cfaExpr = null;
          break;
        case DW_CFA_def_cfa_register:
          state.cfaReg = r.uleb();
          state.cfaExpr = null;
          break;
        // gdb: "cfa_how deliberately not set": an offset change keeps an expression CFA.
        case DW_CFA_def_cfa_offset: state.cfaOffset = r.ulebBig(); break;
        case DW_CFA_def_cfa_offset_sf: state.cfaOffset = r.slebBig() * cie.dataAlign; break;
        case DW_CFA_def_cfa_expression: state.cfaExpr = r.bytes(r.uleb()).slice(); break;
        case DW_CFA_expression: {
          const reg = r.uleb();
          setReg(reg, { kind: 'expr', expr: r.bytes(r.uleb()).slice() });
          break;
        }
        case DW_CFA_val_expression: {
          const reg = r.uleb();
          setReg(reg, { kind: 'val-expr', expr: r.bytes(r.uleb()).slice() });
          break;
        }
        case DW_CFA_GNU_args_size: r.skipLeb(); break;
        case DW_CFA_AARCH64_negate_ra_state: state.raSigned = !state.raSigned; break;
        default:
          fail(`unknown DW_CFA opcode ${hexOff(op)}`, opAt);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Unwinding.

/** Why an expression could not be evaluated. */
class ExprError extends Error {}

/**
 * Evaluate a DWARF expression (DWARF 5 §2.5) of the kinds CFI uses. `push`: values on the
 * stack before the first op (the CFA for DW_CFA_expression / DW_CFA_val_expression).
 */
export function evalExpression(
  expr: Uint8Array,
  regs: UnwindRegs,
  readPtr: (addr: bigint) => bigint | null,
  ptrSize: 4 | 8,
  opts: { push?: bigint[]; cfa?: bigint } = {},
): bigint | { error: string } {
  const bits = ptrSize * 8;
  const mask = maskFor(bits);
  const stack: bigint[] = (opts.push ?? []).map((v) => v & mask);
  const sec: DwarfSection = { name: 'expression', data: expr };
  const r = new Reader(sec);
  const signed = (v: bigint) => BigInt.asIntN(bits, v);
  const pop = (): bigint => {
    const v = stack.pop();
    if (v === undefined) throw new ExprError('stack underflow');
    return v;
  };
  const push = (v: bigint) => stack.push(v & mask);
  const reg = (n: number): bigint => {
    const v = regs.get(n);
    if (v === undefined) throw new ExprError(`register r${n} is unknown`);
    return v;
  };
  const deref = (addr: bigint, size: number): bigint => {
    const v = readPtr(addr);
    if (v === null) throw new ExprError(`cannot read memory at 0x${addr.toString(16)}`);
    return size >= ptrSize ? v : v & ((1n << BigInt(size * 8)) - 1n);
  };
  let steps = 0;
  try {
    while (!r.atEnd) {
      if (++steps > 10_000) throw new ExprError('more than 10000 operations (loop?)');
      const opAt = r.pos;
      const op = r.u8();
      if (op >= 0x30 && op <= 0x4f) { push(BigInt(op - 0x30)); continue; } // DW_OP_lit0..31
      if (op >= 0x70 && op <= 0x8f) { push(reg(op - 0x70) + r.slebBig()); continue; } // DW_OP_breg0..31
      switch (op) {
        case 0x03: push(r.addr(ptrSize)); break; // addr
        case 0x06: push(deref(pop(), ptrSize)); break; // deref
        case 0x08: push(BigInt(r.u8())); break; // const1u
        case 0x09: push(BigInt((r.u8() << 24) >> 24)); break; // const1s
        case 0x0a: push(BigInt(r.u16())); break; // const2u
        case 0x0b: push(BigInt((r.u16() << 16) >> 16)); break; // const2s
        case 0x0c: push(BigInt(r.u32())); break; // const4u
        case 0x0d: push(BigInt(r.u32() | 0)); break; // const4s
        case 0x0e: push(r.u64()); break; // const8u
        case 0x0f: push(BigInt.asIntN(64, r.u64())); break; // const8s
        case 0x10: push(r.ulebBig()); break; // constu
        case 0x11: push(r.slebBig()); break; // consts
        case 0x12: { const v = pop(); push(v); push(v); break; } // dup
        case 0x13: pop(); break; // drop
        case 0x14: { const a = pop(); const b = pop(); push(b); push(a); push(b); break; } // over
        case 0x15: { // pick
          const i = r.u8();
          if (i >= stack.length) throw new ExprError(`DW_OP_pick ${i} beyond the stack`);
          push(stack[stack.length - 1 - i]!);
          break;
        }
        case 0x16: { const a = pop(); const b = pop(); push(a); push(b); break; } // swap
        case 0x17: { const a = pop(); const b = pop(); const c = pop(); push(a); push(c); push(b); break; } // rot
        case 0x19: { const a = signed(pop()); push(a < 0n ? -a : a); break; } // abs
        case 0x1a: { const b = pop(); push(pop() & b); break; } // and
        case 0x1b: { // div (signed)
          const b = signed(pop()); const a = signed(pop());
          if (b === 0n) throw new ExprError('DW_OP_div by zero');
          push(a / b);
          break;
        }
        case 0x1c: { const b = pop(); push(pop() - b); break; } // minus
        case 0x1d: { // mod
          const b = pop(); const a = pop();
          if (b === 0n) throw new ExprError('DW_OP_mod by zero');
          push(a % b);
          break;
        }
        case 0x1e: { const b = pop(); push(pop() * b); break; } // mul
        case 0x1f: push(-signed(pop())); break; // neg
        case 0x20: push(~pop()); break; // not
        case 0x21: { const b = pop(); push(pop() | b); break; } // or
        case 0x22: { const b = pop(); push(pop() + b); break; } // plus
        case 0x23: push(pop() + r.ulebBig()); break; // plus_uconst
        case 0x24: { const b = pop(); const a = pop(); push(b >= BigInt(bits) ? 0n : a << b); break; } // shl
        case 0x25: { const b = pop(); const a = pop(); push(b >= BigInt(bits) ? 0n : a >> b); break; } // shr
        case 0x26: { const b = pop(); const a = signed(pop()); push(a >> (b >= BigInt(bits) ? BigInt(bits - 1) : b)); break; } // shra
        case 0x27: { const b = pop(); push(pop() ^ b); break; } // xor
        case 0x28: { // bra
          const off = (r.u16() << 16) >> 16;
          if (pop() !== 0n) jump(r, off, opAt);
          break;
        }
        case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d: case 0x2e: { // eq ge gt le lt ne
          const b = signed(pop()); const a = signed(pop());
          const res = op === 0x29 ? a === b : op === 0x2a ? a >= b : op === 0x2b ? a > b : op === 0x2c ? a <= b : op === 0x2d ? a < b : a !== b;
          push(res ? 1n : 0n);
          break;
        }
        case 0x2f: jump(r, (r.u16() << 16) >> 16, opAt); break; // skip
        case 0x92: { const n = r.uleb(); push(reg(n) + r.slebBig()); break; } // bregx
        case 0x94: { const n = r.u8(); push(deref(pop(), n)); break; } // deref_size
        case 0x96: break; // nop
        case 0x9c: // call_frame_cfa
          if (opts.cfa === undefined) throw new ExprError('DW_OP_call_frame_cfa inside the CFA rule');
          push(opts.cfa);
          break;
        default:
          throw new ExprError(`DWARF expression op ${hexOff(op)} is not supported in CFI (at byte ${opAt})`);
      }
    }
  } catch (e) {
    if (e instanceof ExprError) return { error: e.message };
    if (e instanceof DwarfError) return { error: `truncated DWARF expression (${e.message})` };
    throw e;
  }
  const v = stack.pop();
  if (v === undefined) return { error: 'DWARF expression left an empty stack' };
  return v;
}

/** DW_OP_bra / DW_OP_skip: the offset counts from the byte after the 2-byte operand. */
function jump(r: Reader, off: number, opAt: number): void {
  const to = r.pos + off;
  if (to < 0 || to > r.end) throw new ExprError(`branch at byte ${opAt} leaves the expression`);
  r.pos = to;
}

/**
 * One step: apply `row` to the callee's registers. An error (with a reason) when the CFA
 * or the return address cannot be computed: a register they need is unknown, a memory
 * read fails, an expression is not understood, or the return address rule is
 * 'undefined' (the outermost frame: glibc's _start marks it so). Any other register whose
 * value cannot be computed is left out of `regs` (unknown in the caller).
 */
export function unwindStep(
  row: CfiRow,
  regs: UnwindRegs,
  readPtr: (addr: bigint) => bigint | null,
  ptrSize: 4 | 8,
): UnwindStepResult | { error: string } {
  const mask = maskFor(ptrSize * 8);
  let cfa: bigint;
  if (row.cfa.kind === 'reg') {
    const base = regs.get(row.cfa.reg);
    if (base === undefined) return { error: `CFA register r${row.cfa.reg} is unknown` };
    cfa = (base + row.cfa.offset) & mask;
  } else {
    const v = evalExpression(row.cfa.expr, regs, readPtr, ptrSize);
    if (typeof v !== 'bigint') return { error: `CFA expression: ${v.error}` };
    cfa = v;
  }
  const out = new Map<number, bigint>();
  const valueOf = (reg: number, rule: RegRule): bigint | string | null => {
    switch (rule.kind) {
      case 'undefined': return null;
      case 'same': return regs.get(reg) ?? `r${reg} is unknown (same value)`;
      case 'offset': {
        const at = (cfa + rule.offset) & mask;
        return readPtr(at) ?? `cannot read r${reg}'s save slot at ${hex(at)}`;
      }
      case 'val-offset': return (cfa + rule.offset) & mask;
      case 'register': return regs.get(rule.reg) ?? `r${reg} is in r${rule.reg}, which is unknown`;
      case 'expr': {
        const at = evalExpression(rule.expr, regs, readPtr, ptrSize, { push: [cfa], cfa });
        if (typeof at !== 'bigint') return `r${reg}'s expression: ${at.error}`;
        return readPtr(at) ?? `cannot read r${reg}'s save slot at ${hex(at)}`;
      }
      case 'val-expr': {
        const v = evalExpression(rule.expr, regs, readPtr, ptrSize, { push: [cfa], cfa });
        return typeof v === 'bigint' ? v : `r${reg}'s expression: ${v.error}`;
      }
    }
  };
  let raProblem: string | null = null;
  for (const [reg, rule] of row.regs) {
    const v = valueOf(reg, rule);
    if (typeof v === 'bigint') out.set(reg, v & mask);
    else if (reg === row.returnColumn) raProblem = v ?? `the return address (r${reg}) is undefined: outermost frame`;
  }
  if (!row.regs.has(row.returnColumn)) {
    const v = regs.get(row.returnColumn);
    if (v === undefined) raProblem = `the return address register r${row.returnColumn} is unknown`;
    else out.set(row.returnColumn, v & mask);
  }
  if (raProblem) return { error: raProblem };
  return { cfa, regs: out, returnAddress: out.get(row.returnColumn)! };
}
