// Process start as the Linux ABI lays it out (System V ABI, "Process Initialization";
// Linux fs/binfmt_elf.c create_elf_tables): at sp, argc, then argv pointers, NULL, envp
// pointers, NULL, then the auxiliary vector of (type, value) pairs ending with AT_NULL.
// Strings and AT_RANDOM's bytes sit above, at the top of the stack.

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
}

/** Fixed AT_RANDOM bytes: runs must be reproducible. */
const RANDOM_BYTES = new Uint8Array([...Array(16).keys()].map((i) => (i * 37 + 11) & 0xff));

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
  // Strings area, built downward from the top.
  const chunks: Uint8Array[] = [];
  let cursor = top - 16n; // a little headroom, like the kernel's end marker
  const place = (b: Uint8Array): bigint => {
    cursor -= BigInt(b.length);
    chunks.push(b);
    return cursor;
  };
  const placeStr = (s: string) => place(new Uint8Array([...enc.encode(s), 0]));
  // Linux's order (fs/binfmt_elf.c): execfn first, then the platform string, the random
  // bytes, then argv and envp strings.
  const execfnAddr = placeStr(execfn);
  const { platform, hwcap } = image.arch.linux;
  const platformAddr = platform === null ? null : placeStr(platform);
  const randomAddr = place(RANDOM_BYTES);
  const argvAddrs = argv.map(placeStr);
  const envAddrs = env.map(placeStr);
  const phdr = findPhdrAddress(image);
  const auxv: [number, bigint][] = [[AT_HWCAP, hwcap], [AT_PAGESZ, 4096n], [AT_CLKTCK, 100n]];
  if (phdr !== null) {
    auxv.push([AT_PHDR, phdr], [AT_PHENT, BigInt(image.elf.phentsize)], [AT_PHNUM, BigInt(image.elf.phnum)]);
  }
  auxv.push(
    [AT_ENTRY, image.entry],
    [AT_UID, BigInt(ids.uid)],
    [AT_EUID, BigInt(ids.uid)],
    [AT_GID, BigInt(ids.gid)],
    [AT_EGID, BigInt(ids.gid)],
    [AT_SECURE, 0n],
    [AT_RANDOM, randomAddr],
    [AT_HWCAP2, 0n],
    [AT_EXECFN, execfnAddr],
  );
  if (platformAddr !== null) auxv.push([AT_PLATFORM, platformAddr]);
  auxv.push([AT_NULL, 0n]);
  const words: bigint[] = [BigInt(argv.length), ...argvAddrs, 0n, ...envAddrs, 0n, ...auxv.flatMap(([k, v]) => [BigInt(k), v])];
  const align = BigInt(image.arch.stackAlign);
  const sp = (cursor - BigInt(words.length * ptr)) & ~(align - 1n);
  const bytes = new Uint8Array(Number(top - sp));
  const dv = new DataView(bytes.buffer);
  words.forEach((w, i) => {
    if (ptr === 8) dv.setBigUint64(i * 8, w, true);
    else dv.setUint32(i * 4, Number(w & 0xffffffffn), true);
  });
  // Strings: copy each chunk at its address.
  let addr = top - 16n;
  for (const c of chunks) {
    addr -= BigInt(c.length);
    bytes.set(c, Number(addr - sp));
  }
  return { sp, base: sp, bytes };
}

/** The program headers' address in guest memory, if a PT_LOAD segment maps them. */
function findPhdrAddress(image: GuestImage): bigint | null {
  const { phoff } = image.elf;
  for (const s of image.elf.segments) {
    if (s.type === 1 && phoff >= s.offset && phoff < s.offset + s.filesz) return s.vaddr + (phoff - s.offset);
  }
  return null;
}
