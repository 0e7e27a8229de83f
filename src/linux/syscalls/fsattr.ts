// System calls on a file's attributes and storage: chmod and chown (recorded, as an
// unprivileged process may), the utime family, truncate, fallocate, the sync calls,
// statfs, fadvise64 and flock, in every form the tables have.

import type { Errno } from '../errno.js';
import type { OpenFile } from '../files/file.js';
import { InodeFile, PathFile, RegularFile } from '../files/vfs-files.js';
import type { LinuxKernel } from '../kernel.js';
import { Struct } from '../structs.js';
import { DirInode, type Inode, type Timespec } from '../vfs/inode.js';
import { OpenFileInode } from '../vfs/proc.js';
import type { FsStats } from '../vfs/vfs.js';
import { AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW, pathArg } from './paths.js';
import { AT_FDCWD, type HandlerTable, type Ret } from './types.js';

const UTIME_NOW = (1 << 30) - 1;
const UTIME_OMIT = (1 << 30) - 2;
const NS = 1_000_000_000;

/** The inode a path (or, with AT_EMPTY_PATH or a NULL path, dirfd itself) names. */
function inodeAt(k: LinuxKernel, dirfd: number, addr: bigint, flags: number, nullMeansFd = false): Inode | Errno {
  if (addr === 0n && nullMeansFd) return fdInode(k, dirfd, true);
  const arg = pathArg(k, addr);
  if (typeof arg === 'string') return arg;
  if (arg.path === '' && flags & AT_EMPTY_PATH) return dirfd === AT_FDCWD ? k.fsctx.cwd : fdInode(k, dirfd, true);
  return k.lookup(dirfd, arg.path, (flags & AT_SYMLINK_NOFOLLOW) === 0);
}

/**
 * The inode behind a descriptor (O_PATH ones only where the call accepts them); a pipe or
 * standard stream stands for itself (fchmod of a pipe succeeds on Linux, changing nothing here).
 */
function fdInode(k: LinuxKernel, fd: number, pathOk: boolean): Inode | Errno {
  const f = k.file(fd);
  if (!f || (!pathOk && f instanceof PathFile)) return 'EBADF';
  return f instanceof InodeFile ? f.inode : new OpenFileInode(k.vfs.core, f);
}

const done = (e: Errno | null): Ret => e ?? 0n;

function chmod(inode: Inode | Errno, mode: number): Ret {
  return typeof inode === 'string' ? inode : done(inode.chmod(mode));
}

function chown(inode: Inode | Errno, uid: bigint, gid: bigint): Ret {
  if (typeof inode === 'string') return inode;
  const id = (v: bigint) => Number(BigInt.asIntN(32, v & 0xffffffffn));
  return done(inode.chown(id(uid), id(gid)));
}

/** Read two struct timespec (utimensat) or timeval (utimes) at addr; 0 means both "now". */
function readTimes(k: LinuxKernel, addr: bigint, unit: 'ns' | 'us', wide: boolean): [Timespec | 'now' | 'omit', Timespec | 'now' | 'omit'] | Errno {
  if (addr === 0n) return ['now', 'now'];
  const w = wide ? 8 : k.ptr;
  const raw = k.mem.readUser(addr, 4 * w);
  if (!raw) return 'EFAULT';
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
  const word = (i: number) => (w === 8 ? dv.getBigInt64(i * 8, true) : BigInt(dv.getInt32(i * 4, true)));
  const out: (Timespec | 'now' | 'omit')[] = [];
  for (let i = 0; i < 2; i++) {
    const sec = word(2 * i);
    const frac = Number(word(2 * i + 1));
    if (unit === 'ns' && frac === UTIME_NOW) out.push('now');
    else if (unit === 'ns' && frac === UTIME_OMIT) out.push('omit');
    else {
      const nsec = unit === 'ns' ? frac : frac * 1000;
      if (frac < 0 || nsec >= NS) return 'EINVAL';
      out.push({ sec, nsec });
    }
  }
  return [out[0]!, out[1]!];
}

function utimens(k: LinuxKernel, inode: Inode | Errno, times: ReturnType<typeof readTimes>): Ret {
  if (typeof times === 'string') return times;
  if (typeof inode === 'string') return inode;
  return done(k.vfs.utimens(inode, times[0], times[1]));
}

/** struct statfs (asm-generic/statfs.h; x86-64's is the same on 64-bit), or statfs64 for the 32-bit ABI. */
function encodeStatfs(s: FsStats, ptr: 4 | 8, wide: boolean): Uint8Array {
  if (ptr === 8 || wide) {
    // 64-bit words; statfs64 on 32-bit has f_type and f_bsize as 32-bit, then 64-bit counts.
    if (ptr === 8) {
      const b = new Struct(120);
      [s.type, s.bsize, s.blocks, s.bfree, s.bfree, s.files, s.ffree].forEach((v, i) => b.u64(i * 8, BigInt(v)));
      return b.u64(64, s.namelen).u64(72, s.bsize).u64(80, s.flags).bytes;
    }
    const b = new Struct(84).u32(0, s.type).u32(4, s.bsize);
    [s.blocks, s.bfree, s.bfree, s.files, s.ffree].forEach((v, i) => b.u64(8 + i * 8, v));
    return b.u32(56, s.namelen).u32(60, s.bsize).u32(64, s.flags).bytes;
  }
  const b = new Struct(64);
  [s.type, s.bsize, s.blocks, s.bfree, s.bfree, s.files, s.ffree].forEach((v, i) => b.u32(i * 4, BigInt(v)));
  return b.u32(36, s.namelen).u32(40, s.bsize).u32(44, s.flags).bytes;
}

/** statfs numbers for a descriptor that is not the file system's (pipefs, devpts). */
function streamStats(f: OpenFile): FsStats {
  const tty = (f.stat().mode & 0o170000) === 0o020000;
  return { type: tty ? 0x1cd1 : 0x50495045, bsize: 4096, blocks: 0n, bfree: 0n, files: 0n, ffree: 0n, namelen: 255, flags: 0x20 };
}

function putStatfs(k: LinuxKernel, st: FsStats, buf: bigint, wide: boolean): Ret {
  return k.put(buf, encodeStatfs(st, k.ptr, wide)) ? 0n : 'EFAULT';
}

function statfsPath(k: LinuxKernel, addr: bigint, buf: bigint, wide: boolean): Ret {
  const arg = pathArg(k, addr);
  if (typeof arg === 'string') return arg;
  const inode = arg.path === '' ? 'ENOENT' : k.lookup(AT_FDCWD, arg.path, true);
  return typeof inode === 'string' ? inode : putStatfs(k, k.vfs.statfs(inode), buf, wide);
}

function fstatfs(k: LinuxKernel, fd: number, buf: bigint, wide: boolean): Ret {
  const f = k.file(fd);
  if (!f) return 'EBADF';
  return putStatfs(k, f instanceof InodeFile ? k.vfs.statfs(f.inode) : streamStats(f), buf, wide);
}

function ftruncate(k: LinuxKernel, fd: number, len: bigint): Ret {
  if (len < 0n) return 'EINVAL';
  const f = k.file(fd);
  if (!f || f instanceof PathFile) return 'EBADF';
  if (!(f instanceof RegularFile) || !f.writable) return 'EINVAL';
  return done(k.vfs.truncate(f.inode, len, true));
}

function truncate(k: LinuxKernel, addr: bigint, len: bigint): Ret {
  const arg = pathArg(k, addr);
  if (typeof arg === 'string') return arg;
  if (arg.path === '') return 'ENOENT';
  const inode = k.lookup(AT_FDCWD, arg.path, true);
  if (typeof inode === 'string') return inode;
  return done(k.vfs.truncate(inode, len, false));
}

/** fsync and friends: the overlay is memory; there is nothing to wait for. */
function sync(k: LinuxKernel, fd: number): Ret {
  const f = k.file(fd);
  if (!f || f instanceof PathFile) return 'EBADF';
  return f instanceof InodeFile ? 0n : 'EINVAL';
}

const FALLOC_FL_KEEP_SIZE = 1;

function fallocate(k: LinuxKernel, fd: number, mode: number, offset: bigint, len: bigint): Ret {
  if (offset < 0n || len <= 0n) return 'EINVAL';
  const f = k.file(fd);
  if (!f || f instanceof PathFile || !f.writable) return 'EBADF';
  if (f instanceof InodeFile && f.inode instanceof DirInode) return 'EISDIR';
  if (!(f instanceof RegularFile)) return 'ENODEV';
  if (mode & ~FALLOC_FL_KEEP_SIZE) return 'EOPNOTSUPP';
  if (offset + len > BigInt(Number.MAX_SAFE_INTEGER)) return 'EFBIG';
  const inode = f.inode;
  const keep = inode.size;
  const e = inode.allocate(Number(offset), Number(len));
  if (!e && mode & FALLOC_FL_KEEP_SIZE && inode.size > keep) inode.data!.size = keep;
  return done(e);
}

const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_UN = 8;
const LOCK_NB = 4;

export const fsattrCalls: HandlerTable = {
  fchmodat: (k, a) => chmod(inodeAt(k, k.int(a[0]!), a[1]!, 0), k.int(a[2]!)),
  fchmod: (k, a) => chmod(fdInode(k, k.int(a[0]!), false), k.int(a[1]!)),
  chmod: (k, a) => chmod(inodeAt(k, AT_FDCWD, a[0]!, 0), k.int(a[1]!)),
  fchownat: (k, a) => {
    const flags = k.int(a[4]!);
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return 'EINVAL';
    return chown(inodeAt(k, k.int(a[0]!), a[1]!, flags), a[2]!, a[3]!);
  },
  fchown: (k, a) => chown(fdInode(k, k.int(a[0]!), false), a[1]!, a[2]!),
  chown: (k, a) => chown(inodeAt(k, AT_FDCWD, a[0]!, 0), a[1]!, a[2]!),
  lchown: (k, a) => chown(inodeAt(k, AT_FDCWD, a[0]!, AT_SYMLINK_NOFOLLOW), a[1]!, a[2]!),
  utimensat: (k, a) => {
    const flags = k.int(a[3]!);
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return 'EINVAL';
    const times = readTimes(k, a[2]!, 'ns', false);
    return utimens(k, inodeAt(k, k.int(a[0]!), a[1]!, flags, true), times);
  },
  utimensat_time64: (k, a) => {
    const flags = k.int(a[3]!);
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return 'EINVAL';
    return utimens(k, inodeAt(k, k.int(a[0]!), a[1]!, flags, true), readTimes(k, a[2]!, 'ns', true));
  },
  utimes: (k, a) => utimens(k, inodeAt(k, AT_FDCWD, a[0]!, 0), readTimes(k, a[1]!, 'us', false)),
  futimesat: (k, a) => utimens(k, inodeAt(k, k.int(a[0]!), a[1]!, 0, true), readTimes(k, a[2]!, 'us', false)),
  utime: (k, a) => {
    // struct utimbuf: actime, modtime (seconds).
    let times: ReturnType<typeof readTimes> = ['now', 'now'];
    if (a[1] !== 0n) {
      const raw = k.mem.readUser(a[1]!, 2 * k.ptr);
      if (!raw) return 'EFAULT';
      const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
      const sec = (i: number) => (k.ptr === 8 ? dv.getBigInt64(i * 8, true) : BigInt(dv.getInt32(i * 4, true)));
      times = [{ sec: sec(0), nsec: 0 }, { sec: sec(1), nsec: 0 }];
    }
    return utimens(k, inodeAt(k, AT_FDCWD, a[0]!, 0), times);
  },
  truncate: (k, a) => truncate(k, a[0]!, k.signed(a[1]!)),
  ftruncate: (k, a) => ftruncate(k, k.int(a[0]!), k.signed(a[1]!)),
  fallocate: (k, a) => fallocate(k, k.int(a[0]!), k.int(a[1]!), k.signed(a[2]!), k.signed(a[3]!)),
  fsync: (k, a) => sync(k, k.int(a[0]!)),
  fdatasync: (k, a) => sync(k, k.int(a[0]!)),
  syncfs: (k, a) => (k.file(k.int(a[0]!)) ? 0n : 'EBADF'),
  sync: () => 0n,
  sync_file_range: (k, a) => {
    const f = k.file(k.int(a[0]!));
    if (!f || f instanceof PathFile) return 'EBADF';
    if (k.signed(a[1]!) < 0n || k.signed(a[2]!) < 0n || k.int(a[3]!) & ~7) return 'EINVAL';
    return f instanceof RegularFile ? 0n : 'ESPIPE';
  },
  statfs: (k, a) => statfsPath(k, a[0]!, a[1]!, false),
  fstatfs: (k, a) => fstatfs(k, k.int(a[0]!), a[1]!, false),
  statfs64: (k, a) => (a[1] === 84n ? statfsPath(k, a[0]!, a[2]!, true) : 'EINVAL'),
  fstatfs64: (k, a) => (a[1] === 84n ? fstatfs(k, k.int(a[0]!), a[2]!, true) : 'EINVAL'),
  fadvise64: (k, a) => {
    const f = k.file(k.int(a[0]!));
    if (!f || f instanceof PathFile) return 'EBADF';
    if (!(f instanceof InodeFile)) return 'ESPIPE';
    const advice = k.int(a[3]!);
    return advice < 0 || advice > 5 || k.signed(a[2]!) < 0n ? 'EINVAL' : 0n;
  },
  // One process: a lock is always granted (and there is no one to wait for).
  flock: (k, a) => {
    const f = k.file(k.int(a[0]!));
    if (!f || f instanceof PathFile) return 'EBADF';
    const op = k.int(a[1]!) & ~LOCK_NB;
    return op === LOCK_SH || op === LOCK_EX || op === LOCK_UN ? 0n : 'EINVAL';
  },
};
