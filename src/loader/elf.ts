// The elfinfo adapter. elfinfo's types and its number-or-bigint values stay in this file:
// the rest of crashlab sees ElfFile, whose addresses, offsets and sizes are all bigint.
//
// elfinfo trusts its input more than a crash tool can, so the ELF header and the program
// and section header tables are checked here first (System V gABI, "ELF Header" and
// "Program Header"), and every failure becomes one InputError that says what and where.

import { readFile } from 'node:fs/promises';
import { open as elfinfoOpen, type ELF } from 'elfinfo';
import { InputError, hex } from './errors.js';

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const SHT_NOBITS = 8;
export const SHF_ALLOC = 2n;
export const SHF_EXECINSTR = 4n;

export interface Segment {
  index: number;
  type: number;
  flags: number;
  offset: bigint;
  vaddr: bigint;
  filesz: bigint;
  memsz: bigint;
}

export interface Section {
  index: number;
  name: string;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: bigint;
  size: bigint;
}

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: bigint;
  kind: 'func' | 'object' | 'other';
  section: number;
  /** STB_LOCAL, STB_GLOBAL or STB_WEAK (others read as local). */
  bind?: 'local' | 'global' | 'weak';
}

export interface ElfFile {
  path: string;
  bytes: Uint8Array;
  bits: 32 | 64;
  type: number;
  machine: number;
  entry: bigint;
  phoff: bigint;
  phentsize: number;
  phnum: number;
  segments: Segment[];
  sections: Section[];
  symbols: ElfSymbol[];
}

const MACHINE_NAMES: Record<number, string> = {
  3: '32-bit x86 (i386)', 8: 'MIPS', 20: 'PowerPC', 21: 'PowerPC 64', 22: 'S/390', 40: 'ARM (32-bit)',
  62: 'x86-64', 183: 'AArch64', 243: 'RISC-V', 258: 'LoongArch',
};

export function machineName(m: number): string {
  return MACHINE_NAMES[m] ?? `machine ${m}`;
}

const big = (v: number | bigint): bigint => (typeof v === 'bigint' ? v : BigInt(v));

export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_DYNSYM = 11;

interface RawSectionHeader {
  type: number;
  offset: bigint;
  size: bigint;
  link: number;
  entsize: bigint;
}

/**
 * The symbols of section `index` (gABI "Symbol Table"; Elf32_Sym is 16 bytes, Elf64_Sym 24),
 * named from the string table its sh_link names. Every section was checked to lie inside
 * the file; a name offset outside the string table gives an empty name.
 */
function readSymbols(bytes: Uint8Array, bits: 32 | 64, headers: RawSectionHeader[], index: number): ElfSymbol[] {
  const h = headers[index]!;
  const entsize = bits === 64 ? 24 : 16;
  if (h.entsize !== 0n && h.entsize !== BigInt(entsize)) return [];
  const strtab = headers[h.link];
  const strStart = strtab && strtab.type === SHT_STRTAB ? Number(strtab.offset) : 0;
  const strEnd = strtab && strtab.type === SHT_STRTAB ? strStart + Number(strtab.size) : 0;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  const nameAt = (off: number): string => {
    const at = strStart + off;
    if (at >= strEnd) return '';
    let end = at;
    while (end < strEnd && bytes[end] !== 0) end++;
    return decoder.decode(bytes.subarray(at, end));
  };
  const out: ElfSymbol[] = [];
  const count = Number(h.size) / entsize;
  for (let i = 1; i < count; i++) {
    const o = Number(h.offset) + i * entsize;
    const name = dv.getUint32(o, true);
    const info = bytes[o + (bits === 64 ? 4 : 12)]!;
    const shndx = dv.getUint16(o + (bits === 64 ? 6 : 14), true);
    const value = bits === 64 ? dv.getBigUint64(o + 8, true) : BigInt(dv.getUint32(o + 4, true));
    const sz = bits === 64 ? dv.getBigUint64(o + 16, true) : BigInt(dv.getUint32(o + 8, true));
    const t = info & 0xf;
    const b = info >> 4;
    out.push({ name: nameAt(name), value, size: sz, kind: t === 2 ? 'func' : t === 1 ? 'object' : 'other', section: shndx, bind: b === 1 ? 'global' : b === 2 ? 'weak' : 'local' });
  }
  return out;
}

/** Read and check an ELF file from disk. */
export async function readElf(path: string): Promise<ElfFile> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new InputError(`${path}: cannot read: ${why}`);
  }
  return parseElf(path, bytes);
}

/** Check the ELF header and header tables, then let elfinfo read segments, sections, symbols. */
export async function parseElf(path: string, bytes: Uint8Array): Promise<ElfFile> {
  const fail = (msg: string): never => {
    throw new InputError(`${path}: ${msg}`);
  };
  if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    fail(bytes.length === 0 ? 'not an ELF file (empty)' : 'not an ELF file (no \\x7fELF magic)');
  }
  if (bytes.length < 16) fail(`truncated ELF header (${bytes.length} bytes)`);
  const cls = bytes[4];
  if (cls !== 1 && cls !== 2) fail(`bad ELF class ${cls} in e_ident[EI_CLASS]`);
  const bits = cls === 1 ? 32 : 64;
  if (bytes[5] === 2) fail('big-endian ELF files are not supported (all four guest arches are little-endian)');
  if (bytes[5] !== 1) fail(`bad data encoding ${bytes[5]} in e_ident[EI_DATA]`);
  const ehsize = bits === 64 ? 64 : 52;
  if (bytes.length < ehsize) fail(`truncated ELF header (${bytes.length} of ${ehsize} bytes)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => dv.getUint16(o, true);
  const u32 = (o: number) => dv.getUint32(o, true);
  const word = (o: number) => (bits === 64 ? dv.getBigUint64(o, true) : BigInt(dv.getUint32(o, true)));
  const type = u16(16);
  const machine = u16(18);
  const entry = word(24);
  const phoff = word(bits === 64 ? 32 : 28);
  const shoff = word(bits === 64 ? 40 : 32);
  const phentsize = u16(bits === 64 ? 54 : 42);
  const phnum = u16(bits === 64 ? 56 : 44);
  const shentsize = u16(bits === 64 ? 58 : 46);
  const shnum = u16(bits === 64 ? 60 : 48);
  const size = BigInt(bytes.length);
  const wantPh = bits === 64 ? 56 : 32;
  const wantSh = bits === 64 ? 64 : 40;
  const headers: RawSectionHeader[] = [];
  if (phnum === 0) fail('no program headers (not an executable)');
  if (phentsize !== wantPh) fail(`e_phentsize is ${phentsize}, expected ${wantPh} for ELF${bits}`);
  if (phoff + BigInt(phnum * phentsize) > size) {
    fail(`program header table (offset ${hex(phoff)}, ${phnum} entries) extends beyond the end of the file (${hex(size)} bytes)`);
  }
  if (shnum !== 0) {
    if (shentsize !== wantSh) fail(`e_shentsize is ${shentsize}, expected ${wantSh} for ELF${bits}`);
    if (shoff + BigInt(shnum * shentsize) > size) {
      fail(`section header table (offset ${hex(shoff)}, ${shnum} entries) extends beyond the end of the file (${hex(size)} bytes)`);
    }
    // Every section with file contents must lie inside the file: elfinfo reads them unchecked.
    for (let i = 0; i < shnum; i++) {
      const o = Number(shoff) + i * shentsize;
      const shType = u32(o + 4);
      const off = word(o + (bits === 64 ? 24 : 16));
      const sz = word(o + (bits === 64 ? 32 : 20));
      if (shType !== 0 && shType !== SHT_NOBITS && off + sz > size) {
        fail(`section #${i} (offset ${hex(off)}, size ${hex(sz)}) extends beyond the end of the file (${hex(size)} bytes)`);
      }
      headers.push({ type: shType, offset: off, size: sz, link: u32(o + (bits === 64 ? 40 : 24)), entsize: word(o + (bits === 64 ? 56 : 36)) });
    }
  }

  // elfinfo names symbols with a scan of the whole string table for every name that does
  // not start a string (index 0, or a suffix shared by lld's tail merging): O(symbols ×
  // strings), 262 s for a RISC-V binary with 551k local symbols. So it gets a copy whose
  // symbol tables are marked SHT_PROGBITS, and the symbols are read here (readSymbols).
  const masked = bytes.slice();
  headers.forEach((h, i) => {
    if (h.type === SHT_SYMTAB || h.type === SHT_DYNSYM) new DataView(masked.buffer).setUint32(Number(shoff) + i * shentsize + 4, 1, true);
  });
  let elf: ELF;
  try {
    const res = await elfinfoOpen(masked);
    if (!res.success || !res.elf) fail(`cannot parse ELF: ${res.errors.join('; ') || 'unknown error'}`);
    elf = res.elf!;
  } catch (e) {
    if (e instanceof InputError) throw e;
    return fail(`cannot parse ELF: ${(e as Error).message}`);
  }

  const segments: Segment[] = elf.segments.map((s) => ({
    index: s.index,
    type: s.type,
    flags: s.flags,
    offset: big(s.offset),
    vaddr: big(s.vaddr),
    filesz: big(s.filesz),
    memsz: big(s.memsz),
  }));
  const sections: Section[] = elf.sections.map((s) => ({
    index: s.index,
    name: s.name,
    type: headers[s.index]?.type ?? s.type,
    flags: big(s.flags),
    addr: big(s.addr),
    offset: big(s.offset),
    size: big(s.size),
  }));
  const symtab = sections.find((x) => x.name === '.symtab' && x.type === SHT_SYMTAB);
  const symbols = symtab ? readSymbols(bytes, bits, headers, symtab.index) : [];
  return { path, bytes, bits, type, machine, entry, phoff, phentsize, phnum, segments, sections, symbols };
}
