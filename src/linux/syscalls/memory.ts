// System calls on the address space (src/linux/mm.ts): brk, mmap and mmap2 (anonymous or
// of a file of the guest's file system), munmap, mprotect, mremap, madvise and msync, all
// within --mem-limit; and sysinfo, which reports that limit as the machine's memory.

import type { LinuxKernel } from '../kernel.js';
import { PAGE, PROT_WRITE } from '../mm.js';
import { Struct } from '../structs.js';
import { RegularFile } from '../files/vfs-files.js';
import { ZeroFile } from '../vfs/dev.js';
import type { FileBacking } from '../mm.js';
import type { HandlerTable, Ret } from './types.js';

const MAP_SHARED = 1;
const MAP_PRIVATE = 2;
const MAP_SHARED_VALIDATE = 3;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MAP_FIXED_NOREPLACE = 0x100000;
const MREMAP_MAYMOVE = 1n;
const MADV_DONTNEED = 4;
const MS_ASYNC = 1;
const MS_INVALIDATE = 2;
const MS_SYNC = 4;

function mmap(k: LinuxKernel, a: readonly bigint[]): Ret {
  const [addr, length, prot, flags, fdArg, offset] = a as [bigint, bigint, bigint, bigint, bigint, bigint];
  const fl = Number(flags & 0xffffffffn);
  const type = fl & 3;
  if (type !== MAP_PRIVATE && type !== MAP_SHARED && type !== MAP_SHARED_VALIDATE) return 'EINVAL';
  if (length === 0n) return 'EINVAL';
  if (offset % PAGE !== 0n) return 'EINVAL';
  const fixed = fl & MAP_FIXED_NOREPLACE ? 'noreplace' : fl & MAP_FIXED ? 'replace' : 'no';
  const p = Number(prot & 7n);
  let file: FileBacking | undefined;
  if (!(fl & MAP_ANONYMOUS)) {
    const f = k.file(k.int(fdArg));
    if (!f) return 'EBADF';
    if (offset + length < offset || offset + length > BigInt(Number.MAX_SAFE_INTEGER)) return 'EOVERFLOW';
    // /dev/zero maps as anonymous memory; other devices, directories and /proc files cannot be mapped.
    if (!(f instanceof ZeroFile)) {
      if (!(f instanceof RegularFile)) return f.readable || f.writable ? 'ENODEV' : 'EBADF';
      if (!f.readable) return 'EACCES';
      const shared = type !== MAP_PRIVATE;
      if (shared && p & PROT_WRITE && !f.writable) return 'EACCES';
      file = { file: f.inode, offset, shared, mayWrite: shared && f.writable };
    }
  }
  return k.mem.mmap(addr, length, p, fixed, undefined, file);
}

/** struct sysinfo (linux/sysinfo.h) with one process, the virtual clock and --mem-limit as the machine's RAM. */
function sysinfo(k: LinuxKernel, buf: bigint): Ret {
  const w = k.ptr;
  const s = new Struct(w === 8 ? 112 : 64);
  const total = k.mem.limit;
  const used = k.mem.mapped;
  const words = [k.clock.peek() / 1_000_000_000n, 0n, 0n, 0n, total, total > used ? total - used : 0n, BigInt(k.vfs.budget.used), 0n, 0n, 0n];
  words.forEach((v, i) => s.ptr(i * w, v, w));
  s.u16(10 * w, 1); // procs
  const after = w === 8 ? 88 : 44; // totalhigh, freehigh (0), then mem_unit
  s.u32(after + 2 * w, 1);
  return k.put(buf, s.bytes) ? 0n : 'EFAULT';
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
  msync: (k, a) => {
    const flags = k.int(a[2]!);
    if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC) || (flags & MS_ASYNC && flags & MS_SYNC)) return 'EINVAL';
    const r = k.mem.msync(a[0]!, a[1]!);
    return r === 0 ? 0n : r;
  },
  sysinfo: (k, a) => sysinfo(k, a[0]!),
};
