// System calls on the address space (src/linux/mm.ts): brk, mmap and mmap2, munmap,
// mprotect, mremap and madvise, all within --mem-limit.

import type { LinuxKernel } from '../kernel.js';
import { PAGE, PROT_WRITE } from '../mm.js';
import { SandboxFile } from '../files/sandbox-files.js';
import type { HandlerTable, Ret } from './types.js';

const MAP_SHARED = 1;
const MAP_PRIVATE = 2;
const MAP_SHARED_VALIDATE = 3;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MAP_FIXED_NOREPLACE = 0x100000;
const MREMAP_MAYMOVE = 1n;
const MADV_DONTNEED = 4;

function mmap(k: LinuxKernel, a: readonly bigint[]): Ret {
  const [addr, length, prot, flags, fdArg, offset] = a as [bigint, bigint, bigint, bigint, bigint, bigint];
  const fl = Number(flags & 0xffffffffn);
  const type = fl & 3;
  if (type !== MAP_PRIVATE && type !== MAP_SHARED && type !== MAP_SHARED_VALIDATE) return 'EINVAL';
  if (length === 0n) return 'EINVAL';
  if (offset % PAGE !== 0n) return 'EINVAL';
  const fixed = fl & MAP_FIXED_NOREPLACE ? 'noreplace' : fl & MAP_FIXED ? 'replace' : 'no';
  let contents: Uint8Array | undefined;
  if (!(fl & MAP_ANONYMOUS)) {
    const f = k.file(k.int(fdArg));
    if (!f) return 'EBADF';
    if (!(f instanceof SandboxFile)) return 'EACCES';
    if (type !== MAP_PRIVATE && prot & BigInt(PROT_WRITE)) return 'EACCES';
    contents = f.data.subarray(Math.min(Number(offset), f.data.length));
  }
  return k.mem.mmap(addr, length, Number(prot & 7n), fixed, contents);
}

export const memoryCalls: HandlerTable = {
  brk: (k, a) => k.mem.brk(a[0]!),
  mmap,
  // 32-bit ABIs: the offset is in 4096-byte units.
  mmap2: (k, a) => mmap(k, [a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]! * 4096n]),
  munmap: (k, a) => {
    const r = k.mem.munmap(a[0]!, a[1]!);
    return r === 0 ? 0n : r;
  },
  mprotect: (k, a) => {
    const r = k.mem.mprotect(a[0]!, a[1]!, Number(a[2]! & 7n));
    return r === 0 ? 0n : r;
  },
  mremap: (k, a) => k.mem.mremap(a[0]!, a[1]!, a[2]!, (a[3]! & MREMAP_MAYMOVE) !== 0n),
  madvise: (k, a) => {
    const r = Number(a[2]!) === MADV_DONTNEED ? k.mem.discard(a[0]!, a[1]!) : a[0]! % PAGE === 0n ? 0 : 'EINVAL';
    return r === 0 ? 0n : r;
  },
};
