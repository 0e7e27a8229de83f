// Recognising dynamically linked and position-independent ELFs, to refuse them clearly.

import { ET_DYN, PT_DYNAMIC, PT_INTERP, type ElfFile } from './elf.js';

export const ELF_TYPE_NAMES: Record<number, string> = { 0: 'ET_NONE', 1: 'ET_REL', 2: 'ET_EXEC', 3: 'ET_DYN', 4: 'ET_CORE' };

/** A one-phrase description of why the ELF needs a dynamic loader, or null if it does not. */
export function describeDynamic(elf: ElfFile): string | null {
  const interp = elf.segments.find((s) => s.type === PT_INTERP);
  if (interp) {
    const start = Number(interp.offset);
    const raw = elf.bytes.subarray(start, Math.min(elf.bytes.length, start + Math.min(Number(interp.filesz), 256)));
    const name = new TextDecoder().decode(raw).replace(/\0.*$/s, '');
    return `dynamically linked ELF (PT_INTERP ${JSON.stringify(name)})`;
  }
  if (elf.segments.some((s) => s.type === PT_DYNAMIC)) {
    return elf.type === ET_DYN ? 'position-independent ELF with a dynamic section' : 'dynamically linked ELF (has a PT_DYNAMIC segment)';
  }
  return null;
}
