// Machine code and CFI rows for the unwinding tests: hand-built instruction bytes, an ELF's
// code by address, and a row in a short readelf-like text.

import { PT_LOAD, type ElfFile } from '../../src/loader/elf.js';
import type { CfiRow, RegRule } from '../../src/unwind/cfi.js';
import type { PrologueArch } from '../../src/unwind/prologue.js';

export const bytes = (...words: (number | number[])[]): Uint8Array => new Uint8Array(words.flat());
export const le32 = (...ws: number[]) => ws.flatMap((w) => [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24]);
export const le16 = (...hs: number[]) => hs.flatMap((h) => [h & 0xff, h >>> 8]);

export function archOf(elf: ElfFile): PrologueArch {
  if (elf.machine === 62) return 'x86-64';
  if (elf.machine === 183) return 'aarch64';
  if (elf.machine === 243) return elf.bits === 32 ? 'rv32' : 'rv64';
  throw new Error(`${elf.path}: unexpected machine ${elf.machine}`);
}

/** File bytes at [addr, addr+size) from a PT_LOAD segment, or null. */
export function codeOf(elf: ElfFile, addr: bigint, size: bigint): Uint8Array | null {
  for (const s of elf.segments) {
    if (s.type !== PT_LOAD || addr < s.vaddr || addr + size > s.vaddr + s.filesz) continue;
    const off = Number(s.offset + (addr - s.vaddr));
    return elf.bytes.subarray(off, off + Number(size));
  }
  return null;
}

/** A row in readelf-like text ("CFA=r2+16 r1=c-8"), for messages and exact expectations. */
export function show(row: CfiRow | null): string {
  if (!row) return 'null';
  if (row.cfa.kind !== 'reg') return 'CFA=expr';
  const rule = (r: RegRule) => (r.kind === 'offset' ? `c${r.offset}` : r.kind === 'register' ? `r${r.reg}` : r.kind);
  const regs = [...row.regs].sort((a, b) => a[0] - b[0]).map(([r, x]) => ` r${r}=${rule(x)}`).join('');
  return `CFA=r${row.cfa.reg}+${row.cfa.offset}${regs}${row.raSigned ? ' signed' : ''}`;
}
