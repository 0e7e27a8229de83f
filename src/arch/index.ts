// The arch registry: look an arch up by its one spelling or by ELF machine and class.

import { aarch64 } from './aarch64.js';
import { rv32 } from './rv32.js';
import { rv64 } from './rv64.js';
import { ARCH_NAMES, type Arch, type ArchName } from './types.js';
import { x86_64 } from './x86_64.js';

export const ARCHES: readonly Arch[] = [aarch64, x86_64, rv32, rv64];

export function archByName(name: string): Arch | undefined {
  return ARCHES.find((a) => a.name === name);
}

export function archByElf(machine: number, bits: 32 | 64): Arch | undefined {
  return ARCHES.find((a) => a.elf.machine === machine && a.elf.bits === bits);
}

export function isArchName(s: string): s is ArchName {
  return (ARCH_NAMES as readonly string[]).includes(s);
}

export { ARCH_NAMES };
export type { Arch, ArchName };
