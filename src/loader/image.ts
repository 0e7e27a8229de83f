// The guest image: what to map, with which permissions, and where execution starts.
// Built from a checked ElfFile and the arch it was built for; nothing here touches the
// emulator, so the plan can be tested and explained on its own.

import type { Arch } from '../arch/index.js';
import { ARCH_NAMES, archByElf, archByName } from '../arch/index.js';
import { ELF_TYPE_NAMES, describeDynamic } from './dynamic.js';
import { ET_EXEC, PF_R, PF_W, PF_X, PT_LOAD, machineName, type ElfFile, type Segment } from './elf.js';
import { InputError, hex } from './errors.js';

export const PAGE = 0x1000n;
export const STACK_SIZE = 8n << 20n;
/** Unmapped space kept below the stack (nothing else may be mapped there). */
export const STACK_GUARD = 1n << 20n;
/** Upper bound on the memory the ELF's own segments may ask for. */
export const MAX_IMAGE_BYTES = 1n << 30n;

export interface Perms {
  r: boolean;
  w: boolean;
  x: boolean;
}

export interface Region {
  start: bigint;
  size: bigint;
  perms: Perms;
  /** What the region holds, for reports: a segment or the stack. */
  name: string;
  /** Bytes to write at absolute guest addresses inside the region. */
  data: { addr: bigint; bytes: Uint8Array }[];
}

export interface GuestImage {
  arch: Arch;
  elf: ElfFile;
  entry: bigint;
  regions: Region[];
  stack: { top: bigint; bottom: bigint; guardBottom: bigint };
  /** Executable address ranges [start, end), from the PT_LOAD segments' own extents. */
  code: { start: bigint; end: bigint }[];
  /** One past the highest byte of any PT_LOAD segment (memsz): where the program break starts. */
  end: bigint;
}

const alignDown = (v: bigint, a: bigint) => v & ~(a - 1n);
const alignUp = (v: bigint, a: bigint) => (v + a - 1n) & ~(a - 1n);

/** Choose the arch from the ELF header; an explicit --arch must agree with it. */
export function selectArch(elf: ElfFile, requested?: string): Arch {
  const arch = archByElf(elf.machine, elf.bits);
  if (!arch) {
    throw new InputError(
      `${elf.path}: unsupported architecture: ELF${elf.bits} ${machineName(elf.machine)} (crashlab runs aarch64, x86-64, rv32 and rv64)`,
    );
  }
  if (requested !== undefined) {
    const want = archByName(requested);
    if (!want) throw new InputError(`unknown --arch '${requested}' (expected one of ${ARCH_NAMES.join(', ')})`);
    if (want !== arch) throw new InputError(`${elf.path}: --arch ${requested} disagrees with the ELF header, which says ${arch.name}`);
  }
  return arch;
}

function segPerms(s: Segment): Perms {
  return { r: (s.flags & PF_R) !== 0, w: (s.flags & PF_W) !== 0, x: (s.flags & PF_X) !== 0 };
}

/** Plan the guest's memory: PT_LOAD segments with their own permissions, bss zeroed, a stack. */
export function planImage(elf: ElfFile, arch: Arch): GuestImage {
  const fail = (msg: string): never => {
    throw new InputError(`${elf.path}: ${msg}`);
  };
  const dyn = describeDynamic(elf);
  if (dyn) fail(`${dyn}: dynamic loading is not supported; link the program with -static`);
  if (elf.type !== ET_EXEC) fail(`not an executable (e_type is ${ELF_TYPE_NAMES[elf.type] ?? elf.type}); crashlab runs statically linked ET_EXEC files`);
  const limit = 1n << BigInt(elf.bits);
  const loads = elf.segments.filter((s) => s.type === PT_LOAD && s.memsz > 0n);
  if (loads.length === 0) fail('no loadable (PT_LOAD) segments');

  let total = 0n;
  const pages = new Map<bigint, Perms>();
  const data: Region['data'] = [];
  for (const s of loads) {
    const where = `PT_LOAD segment #${s.index} (vaddr ${hex(s.vaddr)}, offset ${hex(s.offset)}, filesz ${hex(s.filesz)}, memsz ${hex(s.memsz)})`;
    if (s.offset + s.filesz > BigInt(elf.bytes.length)) fail(`${where} extends beyond the end of the file (${hex(elf.bytes.length)} bytes)`);
    if (s.filesz > s.memsz) fail(`${where} has filesz larger than memsz`);
    if (s.vaddr + s.memsz > limit) fail(`${where} extends past the end of the ${elf.bits}-bit address space`);
    if (s.vaddr < PAGE) fail(`${where} maps the zero page`);
    total += s.memsz;
    if (total > MAX_IMAGE_BYTES) fail(`loadable segments ask for more than ${MAX_IMAGE_BYTES >> 20n} MiB`);
    const perms = segPerms(s);
    const start = alignDown(s.vaddr, PAGE);
    const end = alignUp(s.vaddr + s.memsz, PAGE);
    for (let p = start; p < end; p += PAGE) {
      const prev = pages.get(p);
      // Two segments sharing a page: the page gets both segments' permissions, as the
      // last mmap of an overlapping file mapping would leave it readable by both.
      pages.set(p, prev ? { r: prev.r || perms.r, w: prev.w || perms.w, x: prev.x || perms.x } : perms);
    }
    // File bytes go in; the rest of memsz (bss) stays as the engine maps it: zeroed.
    if (s.filesz > 0n) data.push({ addr: s.vaddr, bytes: elf.bytes.subarray(Number(s.offset), Number(s.offset + s.filesz)) });
  }
  // Merge the page map back into regions of equal permissions.
  const merged = mergePages(pages);
  const code = loads.filter((s) => (s.flags & PF_X) !== 0).map((s) => ({ start: s.vaddr, end: s.vaddr + s.memsz }));
  if (!code.some((c) => elf.entry >= c.start && elf.entry < c.end)) fail(`entry point ${hex(elf.entry)} is outside every executable segment`);

  const top = elf.bits === 64 ? 0x7fff_f000_0000n : 0x7ff0_0000n;
  const bottom = top - STACK_SIZE;
  const guardBottom = bottom - STACK_GUARD;
  for (const p of pages.keys()) {
    if (p + PAGE > guardBottom && p < top) fail(`a segment at ${hex(p)} overlaps the stack area [${hex(guardBottom)}, ${hex(top)})`);
  }
  // A segment's bytes are attached to the region holding their first byte; they may run
  // on into the next region, which is fine: the engine writes by address.
  const out: Region[] = merged.map((m) => ({
    ...m,
    name: 'image',
    data: data.filter((d) => d.addr >= m.start && d.addr < m.start + m.size),
  }));
  out.push({ start: bottom, size: STACK_SIZE, perms: { r: true, w: true, x: false }, name: 'stack', data: [] });
  const end = loads.reduce((e, s) => (s.vaddr + s.memsz > e ? s.vaddr + s.memsz : e), 0n);
  return { arch, elf, entry: elf.entry, regions: out, stack: { top, bottom, guardBottom }, code, end };
}

function mergePages(pages: Map<bigint, Perms>): { start: bigint; size: bigint; perms: Perms }[] {
  const sorted = [...pages.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: { start: bigint; size: bigint; perms: Perms }[] = [];
  for (const [p, perms] of sorted) {
    const last = out[out.length - 1];
    if (last && last.start + last.size === p && last.perms.r === perms.r && last.perms.w === perms.w && last.perms.x === perms.x) {
      last.size += PAGE;
    } else {
      out.push({ start: p, size: PAGE, perms });
    }
  }
  return out;
}

export function isCode(image: GuestImage, addr: bigint): boolean {
  return image.code.some((c) => addr >= c.start && addr < c.end);
}
