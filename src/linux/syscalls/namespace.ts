// System calls that make and remove names in the guest's file system: mkdir, mknod,
// unlink, rmdir, rename (renameat2's flags too), link and symlink, in their *at() forms
// and the legacy forms x86-64's table still has. The overlay (src/linux/vfs/vfs.ts) does
// the work and chooses the errno; here the arguments are read and checked.

import type { Errno } from '../errno.js';
import type { LinuxKernel } from '../kernel.js';
import type { Where } from '../vfs/vfs.js';
import { AT_EMPTY_PATH, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, pathArg } from './paths.js';
import { AT_FDCWD, type HandlerTable, type Ret } from './types.js';

/** A path argument and where it starts (dirfd or the cwd). */
function at(k: LinuxKernel, dirfd: number, addr: bigint): { w: Where; path: string } | Errno {
  const arg = pathArg(k, addr);
  if (typeof arg === 'string') return arg;
  if (arg.path === '') return 'ENOENT';
  const w = k.where(dirfd, arg.path);
  return typeof w === 'string' ? w : { w, path: arg.path };
}

const done = (e: Errno | null): Ret => e ?? 0n;

function mkdir(k: LinuxKernel, dirfd: number, addr: bigint, mode: number): Ret {
  const p = at(k, dirfd, addr);
  return typeof p === 'string' ? p : done(k.vfs.mkdir(p.w, p.path, mode));
}

function mknod(k: LinuxKernel, dirfd: number, addr: bigint, mode: number): Ret {
  const p = at(k, dirfd, addr);
  return typeof p === 'string' ? p : done(k.vfs.mknod(p.w, p.path, mode));
}

function unlink(k: LinuxKernel, dirfd: number, addr: bigint, flags: number): Ret {
  if (flags & ~AT_REMOVEDIR) return 'EINVAL';
  const p = at(k, dirfd, addr);
  if (typeof p === 'string') return p;
  return done(flags & AT_REMOVEDIR ? k.vfs.rmdir(p.w, p.path) : k.vfs.unlink(p.w, p.path));
}

function rename(k: LinuxKernel, olddir: number, oldAddr: bigint, newdir: number, newAddr: bigint, flags: number): Ret {
  const a = at(k, olddir, oldAddr);
  if (typeof a === 'string') return a;
  const b = at(k, newdir, newAddr);
  if (typeof b === 'string') return b;
  return done(k.vfs.rename(a.w, a.path, b.w, b.path, flags));
}

function link(k: LinuxKernel, olddir: number, oldAddr: bigint, newdir: number, newAddr: bigint, flags: number): Ret {
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return 'EINVAL';
  const arg = pathArg(k, oldAddr);
  if (typeof arg === 'string') return arg;
  // linkat(fd, "", ..., AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH: an unprivileged caller gets ENOENT.
  if (arg.path === '') return 'ENOENT';
  const from = k.lookup(olddir, arg.path, (flags & AT_SYMLINK_FOLLOW) !== 0);
  if (typeof from === 'string') return from;
  const b = at(k, newdir, newAddr);
  if (typeof b === 'string') return b;
  return done(k.vfs.link(from, b.w, b.path));
}

function symlink(k: LinuxKernel, targetAddr: bigint, newdir: number, newAddr: bigint): Ret {
  const t = pathArg(k, targetAddr);
  if (typeof t === 'string') return t;
  const b = at(k, newdir, newAddr);
  if (typeof b === 'string') return b;
  return done(k.vfs.symlink(t.path, b.w, b.path));
}

export const namespaceCalls: HandlerTable = {
  mkdirat: (k, a) => mkdir(k, k.int(a[0]!), a[1]!, k.int(a[2]!)),
  mkdir: (k, a) => mkdir(k, AT_FDCWD, a[0]!, k.int(a[1]!)),
  mknodat: (k, a) => mknod(k, k.int(a[0]!), a[1]!, k.int(a[2]!)),
  mknod: (k, a) => mknod(k, AT_FDCWD, a[0]!, k.int(a[1]!)),
  unlinkat: (k, a) => unlink(k, k.int(a[0]!), a[1]!, k.int(a[2]!)),
  unlink: (k, a) => unlink(k, AT_FDCWD, a[0]!, 0),
  rmdir: (k, a) => unlink(k, AT_FDCWD, a[0]!, AT_REMOVEDIR),
  renameat2: (k, a) => rename(k, k.int(a[0]!), a[1]!, k.int(a[2]!), a[3]!, k.int(a[4]!)),
  renameat: (k, a) => rename(k, k.int(a[0]!), a[1]!, k.int(a[2]!), a[3]!, 0),
  rename: (k, a) => rename(k, AT_FDCWD, a[0]!, AT_FDCWD, a[1]!, 0),
  linkat: (k, a) => link(k, k.int(a[0]!), a[1]!, k.int(a[2]!), a[3]!, k.int(a[4]!)),
  link: (k, a) => link(k, AT_FDCWD, a[0]!, AT_FDCWD, a[1]!, 0),
  symlinkat: (k, a) => symlink(k, a[0]!, k.int(a[1]!), a[2]!),
  symlink: (k, a) => symlink(k, a[0]!, AT_FDCWD, a[1]!),
};
