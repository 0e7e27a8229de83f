// System calls that name files: open, the stat family, access, readlink, getcwd and
// getdents64. Paths resolve inside the --fs sandbox (src/linux/fs.ts), which is read-only.

import type { Errno } from '../errno.js';
import { SandboxDir, SandboxFile } from '../files/sandbox-files.js';
import { statOfNode } from '../files/stat.js';
import type { FsError } from '../fs.js';
import type { LinuxKernel } from '../kernel.js';
import { encodeStat, encodeStatx, Struct, type StatInfo } from '../structs.js';
import { AT_FDCWD, fdRet, type HandlerTable, type Ret } from './types.js';

const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_EMPTY_PATH = 0x1000;
const O_ACCMODE = 3;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const O_CLOEXEC = 0o2000000;
const W_OK = 2;

function openAt(k: LinuxKernel, dirfd: number, pathAddr: bigint, flags: number): Ret {
  const path = k.path(pathAddr);
  if (path === 'EFAULT' || path === 'ENAMETOOLONG') return path;
  const lf = k.arch.linux.openFlags;
  const node = k.lookup(dirfd, path, (flags & lf.nofollow) === 0);
  const writing = (flags & O_ACCMODE) !== 0 || (flags & (O_CREAT | O_TRUNC)) !== 0;
  const cloexec = (flags & O_CLOEXEC) !== 0;
  if (typeof node === 'string') {
    // A read-only file system refuses to create even where nothing exists.
    return node === 'ENOENT' && flags & O_CREAT && k.fs.enabled ? 'EROFS' : node;
  }
  if (node.kind === 'symlink') return 'ELOOP';
  if (node.kind === 'dir') return writing ? 'EISDIR' : fdRet(k.fds.alloc(new SandboxDir(node, k.fs), cloexec));
  if (flags & lf.directory) return 'ENOTDIR';
  if (writing) return 'EROFS';
  if (node.kind !== 'file') return 'EACCES';
  const data = k.fs.contents(node);
  if (typeof data === 'string') return data;
  return fdRet(k.fds.alloc(new SandboxFile(node, data), cloexec));
}

function statAt(k: LinuxKernel, dirfd: number, pathAddr: bigint, flags: number): StatInfo | Errno | FsError {
  const path = k.path(pathAddr);
  if (path === 'EFAULT' || path === 'ENAMETOOLONG') return path;
  if (path === '' && flags & AT_EMPTY_PATH) {
    if (dirfd === AT_FDCWD) {
      const root = k.lookup(AT_FDCWD, '/', true);
      return typeof root === 'string' ? root : statOfNode(root);
    }
    const f = k.file(dirfd);
    return f ? f.stat() : 'EBADF';
  }
  const node = k.lookup(dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) === 0);
  return typeof node === 'string' ? node : statOfNode(node);
}

function writeStat(k: LinuxKernel, st: StatInfo | Errno | FsError, buf: bigint): Ret {
  if (typeof st === 'string') return st;
  return k.put(buf, encodeStat(st, k.arch.linux.stat)) ? 0n : 'EFAULT';
}

function access(k: LinuxKernel, dirfd: number, pathAddr: bigint, mode: number): Ret {
  const path = k.path(pathAddr);
  if (path === 'EFAULT' || path === 'ENAMETOOLONG') return path;
  const node = k.lookup(dirfd, path, true);
  if (typeof node === 'string') return node;
  if (mode & W_OK) return 'EROFS';
  return 0n;
}

function readlink(k: LinuxKernel, dirfd: number, pathAddr: bigint, buf: bigint, size: bigint): Ret {
  const path = k.path(pathAddr);
  if (path === 'EFAULT' || path === 'ENAMETOOLONG') return path;
  if (size <= 0n) return 'EINVAL';
  let target: string;
  if (path === '/proc/self/exe') target = k.opts.exePath;
  else {
    const node = k.lookup(dirfd, path, false);
    if (typeof node === 'string') return node;
    if (node.kind !== 'symlink') return 'EINVAL';
    const t = k.fs.linkTarget(node);
    if (typeof t === 'string') return t;
    target = t.target;
  }
  const bytes = new TextEncoder().encode(target).subarray(0, Number(size > 4096n ? 4096n : size));
  return k.put(buf, bytes) ? BigInt(bytes.length) : 'EFAULT';
}

/** DT_* types of struct linux_dirent64's d_type. */
const DT = { file: 8, dir: 4, symlink: 10, other: 0 } as const;

function getdents(k: LinuxKernel, fd: number, buf: bigint, count: bigint): Ret {
  const f = k.file(fd);
  if (!f) return 'EBADF';
  const entries = f.entries();
  if (typeof entries === 'string') return entries;
  const out: Uint8Array[] = [];
  let used = 0;
  let i = f.offset;
  for (; i < entries.length; i++) {
    const e = entries[i]!;
    const name = new TextEncoder().encode(e.name);
    const reclen = (19 + name.length + 1 + 7) & ~7;
    if (used + reclen > Number(count)) break;
    const rec = new Struct(reclen).u64(0, e.ino).u64(8, i + 1).u16(16, reclen).u8(18, DT[e.kind]);
    rec.bytes.set(name, 19);
    out.push(rec.bytes);
    used += reclen;
  }
  if (out.length === 0 && i < entries.length) return 'EINVAL'; // buffer too small for one entry
  if (!k.put(buf, Buffer.concat(out))) return 'EFAULT';
  f.offset = i;
  return BigInt(used);
}

export const pathCalls: HandlerTable = {
  openat: (k, a) => openAt(k, k.int(a[0]!), a[1]!, k.int(a[2]!)),
  open: (k, a) => openAt(k, AT_FDCWD, a[0]!, k.int(a[1]!)),
  fstat: (k, a) => {
    const f = k.file(k.int(a[0]!));
    return f ? writeStat(k, f.stat(), a[1]!) : 'EBADF';
  },
  newfstatat: (k, a) => writeStat(k, statAt(k, k.int(a[0]!), a[1]!, k.int(a[3]!)), a[2]!),
  stat: (k, a) => writeStat(k, statAt(k, AT_FDCWD, a[0]!, 0), a[1]!),
  lstat: (k, a) => writeStat(k, statAt(k, AT_FDCWD, a[0]!, AT_SYMLINK_NOFOLLOW), a[1]!),
  statx: (k, a) => {
    const st = statAt(k, k.int(a[0]!), a[1]!, k.int(a[2]!));
    if (typeof st === 'string') return st;
    return k.put(a[4]!, encodeStatx(st)) ? 0n : 'EFAULT';
  },
  faccessat: (k, a) => access(k, k.int(a[0]!), a[1]!, k.int(a[2]!)),
  faccessat2: (k, a) => access(k, k.int(a[0]!), a[1]!, k.int(a[2]!)),
  access: (k, a) => access(k, AT_FDCWD, a[0]!, k.int(a[1]!)),
  readlinkat: (k, a) => readlink(k, k.int(a[0]!), a[1]!, a[2]!, a[3]!),
  readlink: (k, a) => readlink(k, AT_FDCWD, a[0]!, a[1]!, a[2]!),
  getcwd: (k, a) => {
    if (a[1]! < 2n) return 'ERANGE';
    return k.put(a[0]!, new Uint8Array([0x2f, 0])) ? 2n : 'EFAULT';
  },
  getdents64: (k, a) => getdents(k, k.int(a[0]!), a[1]!, a[2]!),
};
