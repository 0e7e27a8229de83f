// System calls that name files or move in the tree: open (and O_TMPFILE, memfd_create),
// the stat family, access, readlink, getdents64, and the current directory (getcwd, chdir,
// fchdir, chroot, umask). Paths resolve in the guest's file system (src/linux/vfs/), each
// call answering in the order and with the errno Linux gives an unprivileged process.

import type { Errno } from '../errno.js';
import type { OpenFile } from '../files/file.js';
import { DirFile, InodeFile, PathFile, RegularFile } from '../files/vfs-files.js';
import type { LinuxKernel } from '../kernel.js';
import { encodeStat, encodeStatx, Struct, type StatInfo } from '../structs.js';
import { DeviceInode } from '../vfs/dev.js';
import { DirInode, FileInode, MAY_EXEC, MAY_READ, MAY_WRITE, SpecialInode, SymlinkInode, type Inode } from '../vfs/inode.js';
import { GeneratedFile, OpenFileInode } from '../vfs/proc.js';
import { O_CREAT, O_EXCL, O_TRUNC, PATH_MAX } from '../vfs/vfs.js';
import { AT_FDCWD, fdRet, type HandlerTable, type Ret } from './types.js';

export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_REMOVEDIR = 0x200;
export const AT_EACCESS = 0x200;
export const AT_SYMLINK_FOLLOW = 0x400;
export const AT_NO_AUTOMOUNT = 0x800;
export const AT_EMPTY_PATH = 0x1000;
/** statx's sync flags (AT_STATX_*), accepted and meaningless here. */
const AT_STATX_SYNC_TYPE = 0x6000;
const O_ACCMODE = 3;
const O_NOCTTY = 0o400;
const O_CLOEXEC = 0o2000000;
const O_PATH = 0o10000000;
const __O_TMPFILE = 0o20000000;

/**
 * A NUL-terminated path argument ({ path }), or EFAULT or ENAMETOOLONG: an object, so that
 * a file named "EFAULT" is never taken for the errno.
 */
export function pathArg(k: LinuxKernel, addr: bigint): { path: string } | Errno {
  const s = k.mem.readCString(addr, PATH_MAX);
  if (s === 'fault') return 'EFAULT';
  if (s === 'too-long') return 'ENAMETOOLONG';
  return { path: s };
}

/** Turn an inode just looked up into an open file, as do_open and may_open do. */
function openInode(k: LinuxKernel, inode: Inode, flags: number, created: boolean): OpenFile | Errno {
  const lf = k.arch.linux.openFlags;
  if (flags & lf.directory && !(inode instanceof DirInode)) return 'ENOTDIR';
  // What F_GETFL reports: the creation flags go, O_LARGEFILE is forced on 64-bit (force_o_largefile).
  const kept = (flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)) | (k.ptr === 8 ? lf.largefile : 0);
  if (flags & O_PATH) return new PathFile(inode, kept & (O_PATH | lf.directory | lf.nofollow | lf.largefile));
  if (inode instanceof SymlinkInode) return 'ELOOP';
  const acc = flags & O_ACCMODE;
  const read = acc !== 1;
  const write = acc !== 0 || (flags & O_TRUNC) !== 0;
  if (inode instanceof DirInode) {
    if (write) return 'EISDIR';
    if (!inode.permits(MAY_READ)) return 'EACCES';
    return new DirFile(inode, kept);
  }
  if (!created && !inode.permits((read ? MAY_READ : 0) | (write ? MAY_WRITE : 0))) return 'EACCES';
  if (inode instanceof DeviceInode) return inode.open(kept);
  if (inode instanceof SpecialInode) return 'ENXIO'; // a FIFO or socket node (opened by no one)
  if (inode instanceof GeneratedFile) return inode.open(kept);
  if (inode instanceof OpenFileInode) return inode.file;
  if (!(inode instanceof FileInode)) return 'ENXIO';
  if (inode.source?.refuse) return inode.source.refuse;
  if (acc !== 0 && inode.readOnly) return inode.readOnly;
  // Opening for writing copies a lower file up now (overlayfs), so a shared mapping writes the overlay's copy.
  if (acc !== 0) {
    const e = inode.copyUp();
    if (e) return e;
  }
  if (flags & O_TRUNC && !created) {
    const e = k.vfs.truncate(inode, 0n, true);
    if (e) return e;
  }
  return new RegularFile(inode, kept);
}

function openAt(k: LinuxKernel, dirfd: number, pathAddr: bigint, flags: number, mode: number): Ret {
  const arg = pathArg(k, pathAddr);
  if (typeof arg === 'string') return arg;
  const path = arg.path;
  const lf = k.arch.linux.openFlags;
  const cloexec = (flags & O_CLOEXEC) !== 0;
  if (flags & __O_TMPFILE) {
    // O_TMPFILE is __O_TMPFILE | O_DIRECTORY, for writing, without O_CREAT (build_open_flags).
    if ((flags & lf.directory) === 0 || flags & O_CREAT || (flags & O_ACCMODE) === 0) return 'EINVAL';
    if (path === '') return 'ENOENT';
    const w = k.where(dirfd, path);
    if (typeof w === 'string') return w;
    const dir = k.vfs.resolve(w, path, true);
    if (typeof dir === 'string') return dir;
    if (!(dir instanceof DirInode)) return 'ENOTDIR';
    const f = k.vfs.tmpfile(dir, mode & ~k.fsctx.umask & 0o7777);
    if (typeof f === 'string') return f;
    return fdRet(k.fds.alloc(new RegularFile(f, (flags & ~(__O_TMPFILE | lf.directory | O_CLOEXEC)) | (k.ptr === 8 ? lf.largefile : 0)), cloexec));
  }
  if (path === '') return 'ENOENT';
  const w = k.where(dirfd, path);
  if (typeof w === 'string') return w;
  const found = k.vfs.open(w, path, { flags: flags & O_PATH ? flags & ~(O_CREAT | O_EXCL | O_TRUNC) : flags, mode, nofollow: lf.nofollow });
  if (typeof found === 'string') return found;
  const file = openInode(k, found.inode, flags, found.created);
  if (typeof file === 'string') return file;
  return fdRet(k.fds.alloc(file, cloexec));
}

/** The inode or open file a stat-like call names: a path, or dirfd itself with AT_EMPTY_PATH. */
function target(k: LinuxKernel, dirfd: number, pathAddr: bigint, flags: number): { inode: Inode } | { file: OpenFile } | Errno {
  const arg = pathArg(k, pathAddr);
  if (typeof arg === 'string') return arg;
  const path = arg.path;
  if (path === '' && flags & AT_EMPTY_PATH) {
    if (dirfd === AT_FDCWD) return { inode: k.fsctx.cwd };
    const f = k.file(dirfd);
    if (!f) return 'EBADF';
    return f instanceof InodeFile ? { inode: f.inode } : { file: f };
  }
  const inode = k.lookup(dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) === 0);
  return typeof inode === 'string' ? inode : { inode };
}

function statAt(k: LinuxKernel, dirfd: number, pathAddr: bigint, flags: number): StatInfo | Errno {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)) return 'EINVAL';
  const t = target(k, dirfd, pathAddr, flags);
  if (typeof t === 'string') return t;
  return 'inode' in t ? t.inode.stat() : t.file.stat();
}

function writeStat(k: LinuxKernel, st: StatInfo | Errno, buf: bigint): Ret {
  if (typeof st === 'string') return st;
  return k.put(buf, encodeStat(st, k.arch.linux.stat)) ? 0n : 'EFAULT';
}

const F_OK = 0;
const X_OK = 1;
const W_OK = 2;
const R_OK = 4;

function access(k: LinuxKernel, dirfd: number, pathAddr: bigint, mode: number, flags: number): Ret {
  if (mode & ~(F_OK | X_OK | W_OK | R_OK)) return 'EINVAL';
  if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return 'EINVAL';
  const t = target(k, dirfd, pathAddr, flags);
  if (typeof t === 'string') return t;
  if (!('inode' in t) || mode === F_OK) return 0n;
  const inode = t.inode;
  // An unprivileged process: the mode bits decide (execute on a directory means search).
  const mask = (mode & R_OK ? MAY_READ : 0) | (mode & W_OK ? MAY_WRITE : 0) | (mode & X_OK ? MAY_EXEC : 0);
  return inode.permits(mask) ? 0n : 'EACCES';
}

function readlink(k: LinuxKernel, dirfd: number, pathAddr: bigint, buf: bigint, size: bigint): Ret {
  const arg = pathArg(k, pathAddr);
  if (typeof arg === 'string') return arg;
  const path = arg.path;
  if (size <= 0n) return 'EINVAL';
  const node = k.lookup(dirfd, path, false);
  if (typeof node === 'string') return node;
  if (!(node instanceof SymlinkInode)) return 'EINVAL';
  const t = node.target();
  if (typeof t === 'string') return t;
  const bytes = new TextEncoder().encode(t.target).subarray(0, Number(size > BigInt(PATH_MAX) ? BigInt(PATH_MAX) : size));
  return k.put(buf, bytes) ? BigInt(bytes.length) : 'EFAULT';
}

/** DT_* values of struct linux_dirent64's d_type. */
const DT = { fifo: 1, chr: 2, dir: 4, file: 8, symlink: 10, sock: 12, other: 0 } as const;

function getdents(k: LinuxKernel, fd: number, buf: bigint, count: bigint): Ret {
  const f = k.file(fd);
  if (!f) return 'EBADF';
  if (f instanceof PathFile) return 'EBADF';
  const entries = f.entries();
  if (typeof entries === 'string') return entries;
  const out: Uint8Array[] = [];
  let used = 0;
  let i = f instanceof DirFile ? f.startIndex(entries) : f.offset;
  for (; i < entries.length; i++) {
    const e = entries[i]!;
    const name = new TextEncoder().encode(e.name);
    const reclen = (19 + name.length + 1 + 7) & ~7;
    if (used + reclen > Number(count > 1n << 30n ? 1n << 30n : count)) break;
    const rec = new Struct(reclen).u64(0, e.ino).u64(8, i + 1).u16(16, reclen).u8(18, DT[e.kind]);
    rec.bytes.set(name, 19);
    out.push(rec.bytes);
    used += reclen;
  }
  if (out.length === 0 && i < entries.length) return 'EINVAL'; // buffer too small for one entry
  if (!k.put(buf, Buffer.concat(out))) return 'EFAULT';
  if (f instanceof DirFile) f.advanced(entries, i);
  else f.offset = i;
  return BigInt(used);
}

function getcwd(k: LinuxKernel, buf: bigint, size: bigint): Ret {
  const cwd = k.fsctx.cwd;
  if (cwd.nlink === 0) return 'ENOENT';
  const bytes = new TextEncoder().encode(cwd.path() + '\0');
  if (bytes.length > PATH_MAX) return 'ENAMETOOLONG';
  if (BigInt(bytes.length) > size) return 'ERANGE';
  return k.put(buf, bytes) ? BigInt(bytes.length) : 'EFAULT';
}

function chdirTo(k: LinuxKernel, inode: Inode): Ret {
  if (!(inode instanceof DirInode)) return 'ENOTDIR';
  if (!inode.permits(MAY_EXEC)) return 'EACCES';
  k.fsctx.cwd = inode;
  return 0n;
}

const MFD_CLOEXEC = 1;
const MFD_ALLOW_SEALING = 2;
const MFD_HUGETLB = 4;
/** memfd_create's name limit (NAME_MAX minus "memfd:"). */
const MFD_NAME_MAX = 249;

export const pathCalls: HandlerTable = {
  openat: (k, a) => openAt(k, k.int(a[0]!), a[1]!, k.int(a[2]!), k.int(a[3]!)),
  open: (k, a) => openAt(k, AT_FDCWD, a[0]!, k.int(a[1]!), k.int(a[2]!)),
  creat: (k, a) => openAt(k, AT_FDCWD, a[0]!, O_CREAT | 1 | O_TRUNC, k.int(a[1]!)),
  memfd_create: (k, a) => {
    const arg = pathArg(k, a[0]!);
    if (typeof arg === 'string') return arg === 'ENAMETOOLONG' ? 'EINVAL' : arg;
    const name = arg.path;
    const flags = k.int(a[1]!);
    if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB)) return 'EINVAL';
    if (flags & MFD_HUGETLB) return 'EINVAL';
    if (Buffer.byteLength(name) > MFD_NAME_MAX) return 'EINVAL';
    const f = k.vfs.tmpfile(null, 0o777);
    if (typeof f === 'string') return f;
    f.parent = k.vfs.root;
    f.name = `memfd:${name}`;
    return fdRet(k.fds.alloc(new RegularFile(f, 2 | (k.ptr === 8 ? k.arch.linux.openFlags.largefile : 0)), (flags & MFD_CLOEXEC) !== 0));
  },
  fstat: (k, a) => {
    const f = k.file(k.int(a[0]!));
    return f ? writeStat(k, f.stat(), a[1]!) : 'EBADF';
  },
  newfstatat: (k, a) => writeStat(k, statAt(k, k.int(a[0]!), a[1]!, k.int(a[3]!)), a[2]!),
  fstatat64: (k, a) => writeStat(k, statAt(k, k.int(a[0]!), a[1]!, k.int(a[3]!)), a[2]!),
  stat: (k, a) => writeStat(k, statAt(k, AT_FDCWD, a[0]!, 0), a[1]!),
  lstat: (k, a) => writeStat(k, statAt(k, AT_FDCWD, a[0]!, AT_SYMLINK_NOFOLLOW), a[1]!),
  statx: (k, a) => {
    const st = statAt(k, k.int(a[0]!), a[1]!, k.int(a[2]!));
    if (typeof st === 'string') return st;
    return k.put(a[4]!, encodeStatx(st)) ? 0n : 'EFAULT';
  },
  faccessat: (k, a) => access(k, k.int(a[0]!), a[1]!, k.int(a[2]!), 0),
  faccessat2: (k, a) => access(k, k.int(a[0]!), a[1]!, k.int(a[2]!), k.int(a[3]!)),
  access: (k, a) => access(k, AT_FDCWD, a[0]!, k.int(a[1]!), 0),
  readlinkat: (k, a) => readlink(k, k.int(a[0]!), a[1]!, a[2]!, a[3]!),
  readlink: (k, a) => readlink(k, AT_FDCWD, a[0]!, a[1]!, a[2]!),
  getdents64: (k, a) => getdents(k, k.int(a[0]!), a[1]!, a[2]!),
  getcwd: (k, a) => getcwd(k, a[0]!, a[1]!),
  chdir: (k, a) => {
    const arg = pathArg(k, a[0]!);
    if (typeof arg === 'string') return arg;
    const path = arg.path;
    const inode = k.lookup(AT_FDCWD, path, true);
    return typeof inode === 'string' ? inode : chdirTo(k, inode);
  },
  fchdir: (k, a) => {
    const f = k.file(k.int(a[0]!));
    if (!f) return 'EBADF';
    return f instanceof InodeFile ? chdirTo(k, f.inode) : 'ENOTDIR';
  },
  // Changing the root needs CAP_SYS_CHROOT; the path is checked first, as the kernel does.
  chroot: (k, a) => {
    const arg = pathArg(k, a[0]!);
    if (typeof arg === 'string') return arg;
    const path = arg.path;
    const inode = k.lookup(AT_FDCWD, path, true);
    if (typeof inode === 'string') return inode;
    if (!(inode instanceof DirInode)) return 'ENOTDIR';
    if (!inode.permits(MAY_EXEC)) return 'EACCES';
    return 'EPERM';
  },
  umask: (k, a) => {
    const old = k.fsctx.umask;
    k.fsctx.umask = Number(a[0]! & 0o777n);
    return BigInt(old);
  },
};
