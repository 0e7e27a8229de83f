// Shared helpers for the DWARF reader tests (not a test file itself).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseElf, type ElfFile } from '../../../src/loader/elf.js';

/** Repository root (this file runs from dist/test/symbolize/dwarf/). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const FIXTURES = 'test/symbolize/dwarf/fixtures';

export async function loadElf(rel: string): Promise<ElfFile> {
  const p = path.join(ROOT, rel);
  return parseElf(p, new Uint8Array(readFileSync(p)));
}

/** A copy of the ELF with fresh bytes, for patching in memory. */
export function cloneElf(elf: ElfFile): ElfFile {
  return { ...elf, bytes: elf.bytes.slice(), sections: elf.sections.map((s) => ({ ...s })) };
}

export function sectionRange(elf: ElfFile, name: string): [number, number] {
  const s = elf.sections.find((x) => x.name === name);
  if (!s) throw new Error(`no ${name}`);
  return [Number(s.offset), Number(s.offset + s.size)];
}

export function findBytes(hay: Uint8Array, needle: number[], from = 0, to = hay.length): number {
  outer: for (let i = from; i + needle.length <= to; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
