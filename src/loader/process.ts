// Process start as the Linux ABI lays it out (System V ABI, "Process Initialization";
// Linux fs/binfmt_elf.c create_elf_tables): at sp, argc, then argv pointers, NULL, envp
// pointers, NULL, then the auxiliary vector of (type, value) pairs ending with AT_NULL.
// Strings and AT_RANDOM's bytes sit above, at the top of the stack.

import { PT_LOAD } from './elf.js';
import type { GuestImage } from './image.js';

export const AT_NULL = 0;
export const AT_PHDR = 3;
export const AT_PHENT = 4;
export const AT_PHNUM = 5;
export const AT_PAGESZ = 6;
export const AT_ENTRY = 9;
export const AT_UID = 11;
export const AT_EUID = 12;
export const AT_GID = 13;
export const AT_EGID = 14;
export const AT_PLATFORM = 15;
export const AT_HWCAP = 16;
export const AT_CLKTCK = 17;
export const AT_SECURE = 23;
export const AT_RANDOM = 25;
export const AT_HWCAP2 = 26;
export const AT_EXECFN = 31;

/** The fixed ids the process runs as (the syscall layer answers getuid() etc. the same). */
export interface ProcessIds {
  uid: number;
  gid: number;
}

export interface ProcessStart {
  sp: bigint;
  /** Bytes to write at `base` (the whole initial stack content, up to the stack top). */
  base: bigint;
  bytes: Uint8Array;
  /** The auxiliary vector, (type, value) pairs ending with AT_NULL (/proc/self/auxv shows it). */
  auxv: [number, bigint][];
}

/** Fixed AT_RANDOM bytes: runs must be reproducible. */
const RANDOM_BYTES = new Uint8Array([...Array(16).keys()].map((i) => (i * 37 + 11) & 0xff));

export const AT_BASE = 7;
export const AT_FLAGS = 8;

/**
 * The initial stack, laid out byte for byte as Linux (fs/binfmt_elf.c create_elf_tables)
 * and qemu-user (linux-user/elfload.c) lay it out, so a guest's stack depth, and so where a
 * runaway recursion meets the guard, is the same as under them. From the top down:
 * an 8-byte end marker; the exec file name; the environment strings then the argument
 * strings (argv[0] lowest); the platform string (pointer-aligned); 16 random bytes
 * (16-aligned); then, 16-aligned, argc, argv[], NULL, envp[], NULL and the auxiliary
 * vector in qemu's order, ending with AT_NULL.
 */
export function buildProcessStack(
  image: GuestImage,
  argv: readonly string[],
  env: readonly string[],
  ids: ProcessIds = { uid: 1000, gid: 1000 },
  execfn: string = argv[0] ?? '',
): ProcessStart {
  const ptr = image.arch.ptrSize;
  const enc = new TextEncoder();
  const top = image.stack.top;
  const writes: { addr: bigint; bytes: Uint8Array }[] = [];
  let p = top - 8n;
  const push = (b: Uint8Array): bigint => {
    p -= BigInt(b.length);
    writes.push({ addr: p, bytes: b });
    return p;
  };
  const cstr = (s: string) => new Uint8Array([...enc.encode(s), 0]);
  const execfnAddr = push(cstr(execfn));
  const envAddrs = [...env].reverse().map((e) => push(cstr(e))).reverse();
  const argvAddrs = [...argv].reverse().map((a) => push(cstr(a))).reverse();
  const { platform, hwcap, hwcap2 } = image.arch.linux;
  let platformAddr: bigint | null = null;
  if (platform !== null) {
    const b = cstr(platform);
    p -= BigInt((b.length + ptr - 1) & ~(ptr - 1));
    writes.push({ addr: p, bytes: b });
    platformAddr = p;
  }
  p &= ~15n;
  const randomAddr = push(RANDOM_BYTES);
  p &= ~15n;
  const auxv: [number, bigint][] = [
    [AT_PHDR, phdrAddress(image)],
    [AT_PHENT, BigInt(image.elf.phentsize)],
    [AT_PHNUM, BigInt(image.elf.phnum)],
    [AT_PAGESZ, 4096n],
    [AT_BASE, 0n],
    [AT_FLAGS, 0n],
    [AT_ENTRY, image.entry],
    [AT_UID, BigInt(ids.uid)],
    [AT_EUID, BigInt(ids.uid)],
    [AT_GID, BigInt(ids.gid)],
    [AT_EGID, BigInt(ids.gid)],
    [AT_HWCAP, hwcap],
    [AT_CLKTCK, 100n],
    [AT_RANDOM, randomAddr],
    [AT_SECURE, 0n],
    [AT_EXECFN, execfnAddr],
  ];
  if (hwcap2 !== undefined) auxv.push([AT_HWCAP2, hwcap2]);
  if (platformAddr !== null) auxv.push([AT_PLATFORM, platformAddr]);
  auxv.push([AT_NULL, 0n]);
  const words: bigint[] = [BigInt(argv.length), ...argvAddrs, 0n, ...envAddrs, 0n, ...auxv.flatMap(([k, v]) => [BigInt(k), v])];
  const align = BigInt(image.arch.stackAlign);
  const sp = (p - BigInt(words.length * ptr)) & ~(align - 1n);
  const bytes = new Uint8Array(Number(top - sp));
  const dv = new DataView(bytes.buffer);
  words.forEach((w, i) => {
    if (ptr === 8) dv.setBigUint64(i * 8, w, true);
    else dv.setUint32(i * 4, Number(w & 0xffffffffn), true);
  });
  for (const w of writes) bytes.set(w.bytes, Number(w.addr - sp));
  return { sp, base: sp, bytes, auxv };
}

/** Where the program headers are in guest memory (load address + e_phoff, as Linux computes it). */
function phdrAddress(image: GuestImage): bigint {
  const { phoff } = image.elf;
  for (const s of image.elf.segments) {
    if (s.type === PT_LOAD && phoff >= s.offset && phoff < s.offset + s.filesz) return s.vaddr + (phoff - s.offset);
  }
  const first = image.elf.segments.find((s) => s.type === PT_LOAD);
  return first ? first.vaddr - first.offset + phoff : 0n;
}
