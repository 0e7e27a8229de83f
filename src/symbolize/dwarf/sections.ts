// Debug sections of an ElfFile, found by name and decompressed on first use.
//
// SHF_COMPRESSED sections (System V gABI, "Section Compression") start with an
// Elf32_Chdr / Elf64_Chdr; ELFCOMPRESS_ZLIB (1) is the only type handled. Legacy GNU
// `.zdebug_*` sections ("ZLIB" + 8-byte big-endian size + zlib stream) are accepted too.

import { inflateSync } from 'node:zlib';
import type { ElfFile } from '../../loader/elf.js';
import { DwarfError, hexOff, type DwarfSection } from './reader.js';

const SHF_COMPRESSED = 0x800n;
const SHT_NOBITS = 8;
const ELFCOMPRESS_ZLIB = 1;
/** Refuse to inflate beyond this, whatever ch_size claims. */
const MAX_INFLATED = 1 << 30;

export type SectionName =
  | '.debug_info' | '.debug_abbrev' | '.debug_aranges' | '.debug_line' | '.debug_line_str'
  | '.debug_str' | '.debug_str_offsets' | '.debug_addr' | '.debug_rnglists' | '.debug_ranges';

export const SECTION_NAMES: SectionName[] = [
  '.debug_info', '.debug_abbrev', '.debug_aranges', '.debug_line', '.debug_line_str',
  '.debug_str', '.debug_str_offsets', '.debug_addr', '.debug_rnglists', '.debug_ranges',
];

interface RawSection {
  name: SectionName;
  bytes: Uint8Array;
  compressed: 'none' | 'chdr' | 'zdebug';
}

export class DebugSections {
  private readonly raw = new Map<SectionName, RawSection>();
  private readonly loaded = new Map<SectionName, DwarfSection | null>();
  private readonly bits: 32 | 64;
  /** Called once per section that cannot be decompressed. */
  onError: (e: DwarfError) => void = () => {};

  constructor(elf: ElfFile) {
    this.bits = elf.bits;
    for (const s of elf.sections) {
      if (s.type === SHT_NOBITS || s.type === 0) continue;
      let name = s.name as string;
      let compressed: RawSection['compressed'] = (s.flags & SHF_COMPRESSED) !== 0n ? 'chdr' : 'none';
      if (name.startsWith('.zdebug_')) {
        name = '.debug_' + name.slice('.zdebug_'.length);
        if (compressed === 'none') compressed = 'zdebug';
      }
      if (!(SECTION_NAMES as string[]).includes(name)) continue;
      if (this.raw.has(name as SectionName)) continue; // first one wins
      const bytes = elf.bytes.subarray(Number(s.offset), Number(s.offset + s.size));
      this.raw.set(name as SectionName, { name: name as SectionName, bytes, compressed });
    }
  }

  has(name: SectionName): boolean {
    return this.raw.has(name);
  }

  /** The section's (decompressed) bytes, or undefined when absent or undecompressable. */
  get(name: SectionName): DwarfSection | undefined {
    const hit = this.loaded.get(name);
    if (hit !== undefined) return hit ?? undefined;
    const raw = this.raw.get(name);
    let out: DwarfSection | null = null;
    if (raw) {
      try {
        out = { name, data: this.decompress(raw) };
      } catch (e) {
        this.onError(e instanceof DwarfError ? e : new DwarfError(`${name}: ${(e as Error).message}`));
      }
    }
    this.loaded.set(name, out);
    return out ?? undefined;
  }

  private decompress(raw: RawSection): Uint8Array {
    const b = raw.bytes;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (raw.compressed === 'none') return b;
    let size: number;
    let start: number;
    if (raw.compressed === 'zdebug') {
      if (b.length < 12 || String.fromCharCode(b[0]!, b[1]!, b[2]!, b[3]!) !== 'ZLIB') {
        // Not actually compressed (GNU tools leave small sections as is).
        return b;
      }
      size = Number(dv.getBigUint64(4, false));
      start = 12;
    } else {
      const hdr = this.bits === 64 ? 24 : 12;
      if (b.length < hdr) throw new DwarfError(`${raw.name}+0x0: truncated compression header (${b.length} bytes)`);
      const type = dv.getUint32(0, true);
      if (type !== ELFCOMPRESS_ZLIB) throw new DwarfError(`${raw.name}+0x0: unsupported compression type ${type} (only ELFCOMPRESS_ZLIB)`);
      size = this.bits === 64 ? Number(dv.getBigUint64(8, true)) : dv.getUint32(4, true);
      start = hdr;
    }
    if (size > MAX_INFLATED) throw new DwarfError(`${raw.name}+0x0: decompressed size ${hexOff(size)} is too large`);
    let out: Buffer;
    try {
      out = inflateSync(b.subarray(start), { maxOutputLength: Math.max(size, 1) });
    } catch (e) {
      throw new DwarfError(`${raw.name}+${hexOff(start)}: zlib: ${(e as Error).message}`);
    }
    if (out.length !== size) throw new DwarfError(`${raw.name}+0x0: decompressed to ${hexOff(out.length)} bytes, header says ${hexOff(size)}`);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }
}
