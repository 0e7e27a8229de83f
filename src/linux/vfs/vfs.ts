// The guest's file system: a private, writable, in-memory overlay over read-only lower
// layers (src/linux/vfs/layer.ts: the --fs directory, later a sysroot), with /dev and
// /proc mounted on it and a writable /tmp. Host files are never written: every change
// lives in the overlay's inodes (src/linux/vfs/inode.ts), bounded by --fs-limit, and
// --fs-out can write the changes out after the run (src/linux/vfs/export.ts).
//
// Path resolution is the kernel's (path_resolution(7)), done here one component at a time
// with the process's root as a chroot: ".." stops at the root, a symbolic link's target
// (absolute or relative, made by the guest or found in a layer) is resolved inside the
// guest's tree again, so no path can name a host file outside the layers. Every operation
// answers the errno Linux gives an unprivileged process (uid and gid 1000), in Linux's
// order: existence before permission, permission before space.

import type { Errno } from '../errno.js';
import { GUEST_UID } from '../ids.js';
import type { FsContext } from './context.js';
import { FsBudget, NAME_COST, BLOCK } from './data.js';
import {
  DirInode,
  FileInode,
  MAY_EXEC,
  MAY_WRITE,
  NAME_MAX,
  NEW_INO_BASE,
  OverlayDir,
  ROOT_INO,
  S_ISVTX,
  SpecialInode,
  SymlinkInode,
  inodeOf,
  type FsCore,
  type Inode,
  type Timespec,
} from './inode.js';
import type { HostDirLayer } from './layer.js';

/** Linux's limit on symbolic links followed in one lookup (MAXSYMLINKS). */
export const MAX_SYMLINKS = 40;
/** PATH_MAX, counting the terminating NUL. */
export const PATH_MAX = 4096;

export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_TRUNC = 0o1000;
export const O_ACCMODE = 3;

/** RENAME_* flags of renameat2(2). */
export const RENAME_NOREPLACE = 1;
export const RENAME_EXCHANGE = 2;
export const RENAME_WHITEOUT = 4;

/** File type bits of mknod(2)'s mode. */
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;
const S_IFSOCK = 0o140000;

/** Where a relative path starts, and the process's root. */
export interface Where {
  ctx: FsContext;
  /** The directory a relative path is relative to (the cwd, or a dirfd's directory). */
  base: DirInode;
}

/** The directory and last component of a path, for the calls that make or remove names. */
export interface Parent {
  dir: DirInode;
  name: string;
  /** LAST_NORM, or the kinds of last component the kernel treats apart. */
  last: 'norm' | 'dot' | 'dotdot' | 'root';
  /** The path ended in "/". */
  trailing: boolean;
}

export interface OpenRequest {
  flags: number;
  mode: number;
  /** The arch's O_NOFOLLOW bit (it differs between arches). */
  nofollow: number;
}

/** Mounted trees that live beside the overlay (/dev, /proc): built by whoever owns them. */
export type MountBuilder = (core: FsCore) => DirInode;

export interface VfsOptions {
  /** Read-only lower layers, top first ([] for an empty root). */
  layers: readonly HostDirLayer[];
  /** --fs-limit, in bytes. */
  limit: number;
  /** Wall-clock time (the virtual clock, nanoseconds since the Unix epoch) without moving it. */
  now(): bigint;
  /** The clock's epoch: the times of lower-layer entries. */
  epochNs: bigint;
  mounts: Record<string, MountBuilder>;
}

const ns = (t: bigint): Timespec => ({ sec: t / 1_000_000_000n, nsec: Number(t % 1_000_000_000n) });
const utf8Length = (s: string) => Buffer.byteLength(s, 'utf8');

/** statfs(2) numbers of the overlay, /proc or /dev. */
export interface FsStats {
  type: number;
  bsize: number;
  blocks: bigint;
  bfree: bigint;
  files: bigint;
  ffree: bigint;
  namelen: number;
  flags: number;
}

const OVERLAYFS_SUPER_MAGIC = 0x794c7630;
const PROC_SUPER_MAGIC = 0x9fa0;
const TMPFS_MAGIC = 0x01021994;
const ST_VALID = 0x20;
const ST_NOSUID = 0x2;
const ST_NODEV = 0x4;
const ST_NOEXEC = 0x8;
const ST_NOATIME = 0x400;
const ST_RELATIME = 0x1000;

export class Vfs {
  readonly core: FsCore;
  readonly root: OverlayDir;
  readonly budget: FsBudget;
  private nextIno = NEW_INO_BASE;

  constructor(readonly opts: VfsOptions) {
    this.budget = new FsBudget(opts.limit);
    this.core = {
      budget: this.budget,
      now: () => ns(opts.now()),
      newIno: () => this.nextIno++,
      epoch: ns(opts.epochNs),
    };
    const core = this.core;
    const rootStat = opts.layers.map((l) => l.stat([])).find((s) => s && typeof s !== 'string');
    this.root = new OverlayDir(core, ROOT_INO, rootStat && typeof rootStat !== 'string' ? rootStat.perm : 0o755, core.epoch, opts.layers.map((layer) => ({ layer, parts: [] })));
    for (const [name, build] of Object.entries(opts.mounts)) {
      const m = build(core);
      m.parent = this.root;
      m.name = name;
      this.root.mounts.set(name, m);
    }
    // A writable /tmp always (root's, mode 1777, as Linux systems have it), unless a layer has one.
    if (this.root.lookup('tmp') === null) {
      const tmp = new OverlayDir(core, inodeOf('/tmp'), 0o1777, core.epoch, []);
      tmp.uid = 0;
      tmp.gid = 0;
      tmp.parent = this.root;
      tmp.name = 'tmp';
      this.root.entries.set('tmp', tmp);
    }
  }

  // ---- path resolution ----

  /** The inode a path names (follow: the last component's link is followed too). */
  resolve(w: Where, path: string, follow: boolean): Inode | Errno {
    if (path === '') return 'ENOENT';
    if (utf8Length(path) >= PATH_MAX) return 'ENAMETOOLONG';
    const root = w.ctx.root;
    let cur: Inode = path.startsWith('/') ? root : w.base;
    const queue = path.split('/').filter((c) => c !== '');
    // "dir/" and "dir/." name a directory: a link there is followed and the result must be one.
    let mustDir = /\/\.?\.?$/.test(path) && queue.length > 0;
    let links = 0;
    while (queue.length) {
      if (!(cur instanceof DirInode)) return 'ENOTDIR';
      if (!cur.permits(MAY_EXEC)) return 'EACCES';
      const c = queue.shift()!;
      if (c === '.') continue;
      if (c === '..') {
        cur = cur === root ? root : cur.parent ?? root;
        continue;
      }
      if (utf8Length(c) > NAME_MAX) return 'ENAMETOOLONG';
      const next: Inode | null | Errno = cur.lookup(c);
      if (next === null) return 'ENOENT';
      if (typeof next === 'string') return next;
      const last = queue.length === 0;
      if (next instanceof SymlinkInode && (!last || follow || mustDir)) {
        if (++links > MAX_SYMLINKS) return 'ELOOP';
        const magic = next.jump();
        if (magic !== null) {
          if (typeof magic === 'string') return magic;
          cur = magic;
          continue;
        }
        const t = next.target();
        if (typeof t === 'string') return t;
        const target = t.target;
        if (target === '') return 'ENOENT';
        if (target.startsWith('/')) cur = root;
        const parts = target.split('/').filter((x) => x !== '');
        if (last && target.endsWith('/')) mustDir = true;
        queue.unshift(...parts);
        continue;
      }
      cur = next;
    }
    if (mustDir && !(cur instanceof DirInode)) return 'ENOTDIR';
    return cur;
  }

  /** The directory holding a path's last component, and that component. */
  parentOf(w: Where, path: string): Parent | Errno {
    if (path === '') return 'ENOENT';
    if (utf8Length(path) >= PATH_MAX) return 'ENAMETOOLONG';
    const trimmed = path.replace(/\/+$/, '');
    const trailing = trimmed.length !== path.length;
    if (trimmed === '') return { dir: w.ctx.root, name: '/', last: 'root', trailing };
    const cut = trimmed.lastIndexOf('/');
    const dirPart = cut < 0 ? '' : trimmed.slice(0, cut) || '/';
    const name = trimmed.slice(cut + 1);
    const dir = dirPart === '' ? w.base : this.resolve(w, dirPart, true);
    if (typeof dir === 'string') return dir;
    if (!(dir instanceof DirInode)) return 'ENOTDIR';
    if (!dir.permits(MAY_EXEC)) return 'EACCES';
    if (name === '.' || name === '..') return { dir, name, last: name === '.' ? 'dot' : 'dotdot', trailing };
    if (utf8Length(name) > NAME_MAX) return 'ENAMETOOLONG';
    return { dir, name, last: 'norm', trailing };
  }

  // ---- open ----

  /**
   * open(2)'s lookup and creation: the inode to open (and whether this call made it), or
   * the errno. What the caller opens it as (and O_TRUNC) is the caller's business.
   */
  open(w: Where, path: string, req: OpenRequest): { inode: Inode; created: boolean } | Errno {
    const { flags } = req;
    const follow = (flags & req.nofollow) === 0;
    if (!(flags & O_CREAT)) {
      const inode = this.resolve(w, path, follow);
      return typeof inode === 'string' ? inode : { inode, created: false };
    }
    // O_CREAT: the last component is made if missing, through a dangling symbolic link too.
    let where = w;
    let name = path;
    for (let links = 0; ; links++) {
      const p = this.parentOf(where, name);
      if (typeof p === 'string') return p;
      if (p.last !== 'norm' || p.trailing) {
        // "dir/" or "." with O_CREAT: the kernel refuses to create a directory this way.
        const existing = this.resolve(where, name, follow);
        return typeof existing === 'string' ? (p.trailing && existing === 'ENOENT' ? 'EISDIR' : existing) : 'EISDIR';
      }
      const found = p.dir.lookup(p.name);
      if (typeof found === 'string') return found;
      if (found === null) {
        const made = this.createFile(p, req.mode & ~w.ctx.umask & 0o7777);
        return typeof made === 'string' ? made : { inode: made, created: true };
      }
      if (flags & O_EXCL) return 'EEXIST';
      if (found instanceof SymlinkInode && follow) {
        if (links >= MAX_SYMLINKS) return 'ELOOP';
        const magic = found.jump();
        if (magic !== null) return typeof magic === 'string' ? magic : { inode: magic, created: false };
        const t = found.target();
        if (typeof t === 'string') return t;
        if (t.target === '') return 'ENOENT';
        where = { ctx: w.ctx, base: p.dir };
        name = t.target;
        continue;
      }
      if (found instanceof DirInode) return 'EISDIR';
      return { inode: found, created: false };
    }
  }

  /** Make a regular file at p (open O_CREAT, mknod S_IFREG, O_TMPFILE without a name). */
  private createFile(p: Parent, perm: number): FileInode | Errno {
    const dir = this.writableDir(p.dir);
    if (typeof dir === 'string') return dir;
    const f = new FileInode(this.core, this.core.newIno(), perm, this.core.now(), null);
    f.upper = true;
    if (!dir.add(p.name, f)) return 'ENOSPC';
    dir.touchModified();
    return f;
  }

  /** An unnamed regular file in dir (O_TMPFILE, memfd_create): it goes when its last descriptor does. */
  tmpfile(dir: DirInode | null, perm: number): FileInode | Errno {
    if (dir) {
      const d = this.writableDir(dir);
      if (typeof d === 'string') return d;
    }
    const f = new FileInode(this.core, this.core.newIno(), perm, this.core.now(), null);
    f.nlink = 0;
    f.parent = dir;
    f.name = `#${f.ino}`;
    return f;
  }

  /** A directory the guest may add names to (write and search permission): the overlay's. */
  private writableDir(dir: DirInode): OverlayDir | Errno {
    if (dir.nlink === 0) return 'ENOENT';
    if (!dir.permits(MAY_WRITE | MAY_EXEC)) return 'EACCES';
    return dir.asOverlay() ?? 'EACCES';
  }

  // ---- making names ----

  /** filename_create(): the directory and name for a path that must not exist yet ("dir/" only for a directory). */
  private newName(w: Where, path: string, dirOk: boolean): Parent | Errno {
    const p = this.parentOf(w, path);
    if (typeof p === 'string') return p;
    if (p.last !== 'norm') return 'EEXIST';
    const found = p.dir.lookup(p.name);
    if (typeof found === 'string') return found;
    if (found !== null) return 'EEXIST';
    if (p.trailing && !dirOk) return 'ENOENT';
    return p;
  }

  mkdir(w: Where, path: string, mode: number): Errno | null {
    const p = this.newName(w, path, true);
    if (typeof p === 'string') return p;
    const dir = this.writableDir(p.dir);
    if (typeof dir === 'string') return dir;
    const d = new OverlayDir(this.core, this.core.newIno(), mode & ~w.ctx.umask & 0o1777, this.core.now(), []);
    d.upper = true;
    // Made where a lower directory was deleted: the lower one must not show through.
    d.opaque = dir.lowerHas(p.name);
    if (!dir.add(p.name, d)) return 'ENOSPC';
    dir.touchModified();
    return null;
  }

  /** mknod(2): regular files, FIFOs and sockets; devices need CAP_MKNOD (EPERM). */
  mknod(w: Where, path: string, mode: number): Errno | null {
    const type = mode & S_IFMT;
    if (type === S_IFCHR || type === S_IFBLK) return 'EPERM';
    if (type !== 0 && type !== S_IFREG && type !== S_IFIFO && type !== S_IFSOCK) return 'EINVAL';
    const p = this.newName(w, path, false);
    if (typeof p === 'string') return p;
    const perm = mode & ~w.ctx.umask & 0o7777;
    if (type === 0 || type === S_IFREG) {
      const f = this.createFile(p, perm);
      return typeof f === 'string' ? f : null;
    }
    const dir = this.writableDir(p.dir);
    if (typeof dir === 'string') return dir;
    const node = new SpecialInode(this.core, this.core.newIno(), perm, this.core.now(), type === S_IFIFO ? 'fifo' : 'sock');
    node.upper = true;
    if (!dir.add(p.name, node)) return 'ENOSPC';
    dir.touchModified();
    return null;
  }

  symlink(target: string, w: Where, path: string): Errno | null {
    if (target === '') return 'ENOENT';
    if (utf8Length(target) >= PATH_MAX) return 'ENAMETOOLONG';
    const p = this.newName(w, path, false);
    if (typeof p === 'string') return p;
    const dir = this.writableDir(p.dir);
    if (typeof dir === 'string') return dir;
    const extra = SymlinkInode.cost(target);
    if (extra && !this.budget.take(extra)) return 'ENOSPC';
    const link = new SymlinkInode(this.core, this.core.newIno(), this.core.now(), target);
    link.upper = true;
    if (!dir.add(p.name, link)) {
      if (extra) this.budget.give(extra);
      return 'ENOSPC';
    }
    dir.touchModified();
    return null;
  }

  /** link(2): another name for a file (not a directory) of the same file system. */
  link(from: Inode, w: Where, path: string): Errno | null {
    const p = this.newName(w, path, false);
    if (typeof p === 'string') return p;
    if (from.dev !== p.dir.dev) return 'EXDEV';
    const dir = this.writableDir(p.dir);
    if (typeof dir === 'string') return dir;
    if (from instanceof DirInode) return 'EPERM';
    if (from.nlink === 0 && !(from instanceof FileInode && from.opens > 0)) return 'ENOENT';
    const keep = { parent: from.parent, name: from.name };
    if (!dir.add(p.name, from)) return 'ENOSPC';
    // The inode keeps its first name as the one /proc and getcwd show, once it had one.
    if (from.nlink > 0 && keep.parent) Object.assign(from, keep);
    from.nlink++;
    from.upper = true;
    from.touchChanged();
    dir.touchModified();
    return null;
  }

  // ---- removing names ----

  /** The checks of may_delete(): the victim may be removed from dir by this process. */
  private mayDelete(dir: DirInode, victim: Inode): OverlayDir | Errno {
    const d = this.writableDir(dir);
    if (typeof d === 'string') return d;
    if (dir.perm & S_ISVTX && victim.uid !== GUEST_UID && dir.uid !== GUEST_UID) return 'EPERM';
    return d;
  }

  private isMount(dir: DirInode, name: string, victim: Inode): boolean {
    return dir.asOverlay()?.mounts.get(name) === victim || victim === this.root;
  }

  unlink(w: Where, path: string): Errno | null {
    const p = this.parentOf(w, path);
    if (typeof p === 'string') return p;
    if (p.last !== 'norm') return 'EISDIR';
    const victim = p.dir.lookup(p.name);
    if (typeof victim === 'string') return victim;
    if (victim === null) return 'ENOENT';
    if (p.trailing && !(victim instanceof DirInode)) return 'ENOTDIR';
    if (victim instanceof DirInode) return 'EISDIR';
    const dir = this.mayDelete(p.dir, victim);
    if (typeof dir === 'string') return dir;
    if (!dir.remove(p.name)) return 'ENOSPC';
    this.unlinked(victim);
    dir.touchModified();
    return null;
  }

  rmdir(w: Where, path: string): Errno | null {
    const p = this.parentOf(w, path);
    if (typeof p === 'string') return p;
    if (p.last === 'dot') return 'EINVAL';
    if (p.last === 'dotdot') return 'ENOTEMPTY';
    if (p.last === 'root') return 'EBUSY';
    const victim = p.dir.lookup(p.name);
    if (typeof victim === 'string') return victim;
    if (victim === null) return 'ENOENT';
    if (!(victim instanceof DirInode)) return 'ENOTDIR';
    const dir = this.mayDelete(p.dir, victim);
    if (typeof dir === 'string') return dir;
    if (this.isMount(p.dir, p.name, victim) || victim === w.ctx.root) return 'EBUSY';
    const names = victim.names();
    if (typeof names === 'string') return names;
    if (names.length) return 'ENOTEMPTY';
    if (!dir.remove(p.name)) return 'ENOSPC';
    victim.nlink = 0;
    victim.touchChanged();
    dir.touchModified();
    return null;
  }

  /** A name of inode went: it dies when its last name, descriptor and mapping do. */
  private unlinked(inode: Inode): void {
    inode.dropLink();
    if (inode instanceof FileInode) inode.release();
  }

  rename(wa: Where, from: string, wb: Where, to: string, flags: number): Errno | null {
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) return 'EINVAL';
    if (flags & RENAME_EXCHANGE && flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) return 'EINVAL';
    if (flags & RENAME_WHITEOUT) return 'EPERM'; // needs CAP_MKNOD
    const a = this.parentOf(wa, from);
    if (typeof a === 'string') return a;
    const b = this.parentOf(wb, to);
    if (typeof b === 'string') return b;
    if (a.last !== 'norm') return 'EBUSY';
    if (b.last !== 'norm') return flags & RENAME_NOREPLACE ? 'EEXIST' : 'EBUSY';
    const src = a.dir.lookup(a.name);
    if (typeof src === 'string') return src;
    if (src === null) return 'ENOENT';
    const dst = b.dir.lookup(b.name);
    if (typeof dst === 'string') return dst;
    if (flags & RENAME_NOREPLACE && dst) return 'EEXIST';
    if (flags & RENAME_EXCHANGE && !dst) return 'ENOENT';
    if ((a.trailing && !(src instanceof DirInode)) || (b.trailing && !(src instanceof DirInode) && !(flags & RENAME_EXCHANGE))) return 'ENOTDIR';
    if (a.dir.dev !== b.dir.dev) return 'EXDEV';
    // A directory cannot move below itself (nor take the place of one of its ancestors).
    if (src instanceof DirInode && this.isAncestor(src, b.dir)) return 'EINVAL';
    if (dst instanceof DirInode && this.isAncestor(dst, a.dir)) return flags & RENAME_EXCHANGE ? 'EINVAL' : 'ENOTEMPTY';
    const da = this.mayDelete(a.dir, src);
    if (typeof da === 'string') return da;
    const db = dst ? this.mayDelete(b.dir, dst) : this.writableDir(b.dir);
    if (typeof db === 'string') return db;
    if (src === dst) return null;
    if (this.isMount(a.dir, a.name, src) || (dst && this.isMount(b.dir, b.name, dst))) return 'EBUSY';
    if (flags & RENAME_EXCHANGE) {
      da.entries.set(a.name, dst!);
      db.entries.set(b.name, src);
      [src.parent, src.name, dst!.parent, dst!.name] = [db, b.name, da, a.name];
      for (const x of [src, dst!]) this.moved(x);
      da.touchModified();
      db.touchModified();
      return null;
    }
    if (dst) {
      if (src instanceof DirInode) {
        if (!(dst instanceof DirInode)) return 'ENOTDIR';
        const names = dst.names();
        if (typeof names === 'string') return names;
        if (names.length) return 'ENOTEMPTY';
      } else if (dst instanceof DirInode) return 'EISDIR';
    }
    // The names it costs: the new entry (unless it replaces one whose cost is held) and a whiteout at the old place.
    const need = db.addCost(b.name) + da.removeCost(a.name);
    if (need && this.budget.used + need * NAME_COST > this.budget.limit) return 'ENOSPC';
    da.remove(a.name);
    if (dst) {
      db.entries.delete(b.name);
      if (dst instanceof DirInode) dst.nlink = 0;
      else this.unlinked(dst);
    }
    db.add(b.name, src);
    this.moved(src);
    da.touchModified();
    db.touchModified();
    return null;
  }

  /** After a rename: the inode shows under its new name in --fs-out (a merged directory entirely). */
  private moved(inode: Inode): void {
    inode.upper = true;
    const d = inode instanceof DirInode ? inode.asOverlay() : null;
    if (d && d.lowers.length) d.redirected = true;
    inode.touchChanged();
  }

  private isAncestor(dir: DirInode, of: DirInode): boolean {
    for (let n: DirInode | null = of; n; n = n.parent) if (n === dir) return true;
    return false;
  }

  // ---- attributes ----

  /** truncate(2) by path, or ftruncate (checked == false: the descriptor's mode was checked). */
  truncate(inode: Inode, len: bigint, checked: boolean): Errno | null {
    if (len < 0n) return 'EINVAL';
    if (inode instanceof DirInode) return 'EISDIR';
    if (!(inode instanceof FileInode)) return 'EINVAL';
    if (!checked && !inode.permits(MAY_WRITE)) return 'EACCES';
    if (inode.readOnly) return inode.readOnly;
    if (len > BigInt(Number.MAX_SAFE_INTEGER)) return 'EFBIG';
    return inode.truncate(Number(len));
  }

  /**
   * utimensat(2): each time is a timespec, 'now' or 'omit'. Explicit times need ownership;
   * setting both to now needs ownership or write permission.
   */
  utimens(inode: Inode, atime: Timespec | 'now' | 'omit', mtime: Timespec | 'now' | 'omit'): Errno | null {
    if (atime === 'omit' && mtime === 'omit') return null;
    const owner = inode.uid === GUEST_UID;
    if ((atime !== 'now' && atime !== 'omit') || (mtime !== 'now' && mtime !== 'omit')) {
      if (!owner) return 'EPERM';
    } else if (!owner && !inode.permits(MAY_WRITE)) return 'EACCES';
    if (inode.dev !== this.root.dev) return owner ? null : 'EPERM';
    const now = this.core.now();
    if (atime !== 'omit') inode.atime = atime === 'now' ? now : atime;
    if (mtime !== 'omit') inode.mtime = mtime === 'now' ? now : mtime;
    inode.ctime = now;
    inode.upper = true;
    return null;
  }

  /** statfs(2) of the file system holding inode. */
  statfs(inode: Inode): FsStats {
    const mount = this.mountOf(inode);
    if (mount === 'proc') return { type: PROC_SUPER_MAGIC, bsize: BLOCK, blocks: 0n, bfree: 0n, files: 0n, ffree: 0n, namelen: 255, flags: ST_VALID | ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_RELATIME };
    if (mount === 'dev') return { type: TMPFS_MAGIC, bsize: BLOCK, blocks: 0n, bfree: 0n, files: 0n, ffree: 0n, namelen: 255, flags: ST_VALID | ST_NOSUID | ST_RELATIME };
    const { limit, used } = this.budget;
    const free = BigInt(Math.max(0, limit - used));
    return {
      type: OVERLAYFS_SUPER_MAGIC,
      bsize: BLOCK,
      blocks: BigInt(limit) / BigInt(BLOCK),
      bfree: free / BigInt(BLOCK),
      files: BigInt(limit) / BigInt(NAME_COST),
      ffree: free / BigInt(NAME_COST),
      namelen: NAME_MAX,
      flags: ST_VALID | ST_NOATIME,
    };
  }

  /** The mount an inode belongs to: the overlay (''), or a mounted tree by name. */
  mountOf(inode: Inode): string {
    if (inode.dev === this.root.dev) return '';
    for (const [name, m] of this.root.mounts) if (m.dev === inode.dev) return name;
    return '';
  }
}
