// The guest's inodes: regular files, directories, symbolic links and special files, as
// the overlay (src/linux/vfs/vfs.ts) holds them.
//
// An inode either comes from a lower layer (a read-only host directory, looked up lazily
// and unchanged so far) or lives in the overlay ("upper": the guest created it, wrote it,
// or changed its metadata; --fs-out writes exactly these). A lower file's bytes are read
// from its layer until its first write copies them into the overlay's pages (copy-up, as
// overlayfs does), charged to --fs-limit. A directory merges the same directory of every
// lower layer under its own entries; deleting a lower entry leaves a whiteout.
//
// Identity and times are deterministic: a lower entry's inode number is a hash of its
// guest path when first looked up (stable across runs and hosts), a new inode's number
// counts up from NEW_INO_BASE in creation order, and times come from the virtual clock
// (lower entries carry the clock's epoch).

import type { Errno } from '../errno.js';
import { GUEST_GID, GUEST_UID } from '../ids.js';
import type { AddressSpace, MappedFile } from '../mm.js';
import { S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, type StatInfo } from '../structs.js';
import { MAX_FILE_BYTES, type FsError, type LowerStat } from '../fs.js';
import { BLOCK, MAX_FILE_SIZE, PageData, type FsBudget } from './data.js';
import type { HostDirLayer } from './layer.js';

export interface Timespec {
  sec: bigint;
  nsec: number;
}

export const S_IFSOCK = 0o140000;
export const S_ISVTX = 0o1000;
const S_ISUID = 0o4000;
const S_ISGID = 0o2000;

/** Access bits for permission checks (R_OK, W_OK, X_OK). */
export const MAY_READ = 4;
export const MAY_WRITE = 2;
export const MAY_EXEC = 1;

/** st_dev of the overlay (8:3, a disk partition, as the read-only sandbox reported). */
export const OVERLAY_DEV = 0x803n;
/** The root directory's inode number (ext4's). */
export const ROOT_INO = 2n;
/** Inodes the guest creates are numbered from here up (above every path hash). */
export const NEW_INO_BASE = 1n << 25n;
/** Longest name of one path component (NAME_MAX). */
export const NAME_MAX = 255;
/** Symbolic link targets shorter than this are kept in the inode; longer ones cost a page (tmpfs). */
const SHORT_SYMLINK = 128;

/** What every inode shares: the budget, the clock and inode numbers. */
export interface FsCore {
  budget: FsBudget;
  now(): Timespec;
  newIno(): bigint;
  /** The clock's epoch: the times of lower-layer entries. */
  epoch: Timespec;
}

/** A stable inode number for a guest path (FNV-1a), below NEW_INO_BASE. */
export function inodeOf(path: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const c of new TextEncoder().encode(path)) h = BigInt.asUintN(64, (h ^ BigInt(c)) * 0x100000001b3n);
  return (h & 0xffffffn) + 2n;
}

export type InodeKind = 'file' | 'dir' | 'symlink' | 'chr' | 'fifo' | 'sock';

const TYPE_BITS: Record<InodeKind, number> = { file: S_IFREG, dir: S_IFDIR, symlink: S_IFLNK, chr: S_IFCHR, fifo: S_IFIFO, sock: S_IFSOCK };

/** The lower-layer path a lower entry came from. */
export interface LowerRef {
  layer: HostDirLayer;
  parts: readonly string[];
}

export abstract class Inode {
  abstract readonly kind: InodeKind;
  nlink = 1;
  /** The directory holding its name (its last-made name, for a file with several), null for the root. */
  parent: DirInode | null = null;
  name = '';
  /** Created or changed in the overlay: --fs-out writes it. */
  upper = false;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  dev = OVERLAY_DEV;
  rdev = 0n;

  constructor(
    readonly core: FsCore,
    readonly ino: bigint,
    /** Permission bits (07777). */
    public perm: number,
    time: Timespec,
    public uid = GUEST_UID,
    public gid = GUEST_GID,
  ) {
    this.atime = this.mtime = this.ctime = time;
  }

  get size(): number {
    return 0;
  }

  /** st_blocks: 512-byte units allocated (8 per 4 KiB page the overlay holds). */
  get blocks(): number {
    return 0;
  }

  get mode(): number {
    return TYPE_BITS[this.kind] | this.perm;
  }

  stat(): StatInfo {
    return {
      dev: this.dev,
      ino: this.ino,
      mode: this.mode,
      nlink: this.nlink,
      uid: this.uid,
      gid: this.gid,
      rdev: this.rdev,
      size: BigInt(this.size),
      blksize: BLOCK,
      blocks: BigInt(this.blocks),
      time: this.mtime,
      atime: this.atime,
      mtime: this.mtime,
      ctime: this.ctime,
    };
  }

  /** Whether the guest (uid/gid 1000, no capabilities) may access it with mask (MAY_*). */
  permits(mask: number): boolean {
    const bits = this.uid === GUEST_UID ? this.perm >> 6 : this.gid === GUEST_GID ? this.perm >> 3 : this.perm;
    return (bits & mask & 7) === (mask & 7);
  }

  /** Its guest path now (d_path): "(deleted)" after its last name went. */
  path(): string {
    const parts: string[] = [];
    let n: Inode = this;
    let deleted = this.nlink === 0;
    for (let depth = 0; n.parent && depth < 1 << 20; depth++) {
      parts.push(n.name);
      n = n.parent;
      if (n.nlink === 0) deleted = true;
    }
    return '/' + parts.reverse().join('/') + (deleted ? ' (deleted)' : '');
  }

  touchModified(): void {
    this.mtime = this.ctime = this.core.now();
  }

  touchChanged(): void {
    this.ctime = this.core.now();
  }

  /** chmod(2) by the guest (its owner or not: EPERM). */
  chmod(mode: number): Errno | null {
    if (this.uid !== GUEST_UID) return 'EPERM';
    this.perm = mode & 0o7777;
    this.upper = true;
    this.touchChanged();
    return null;
  }

  /** chown(2) as an unprivileged process: only to itself and its own group (-1 leaves a field). */
  chown(uid: number, gid: number): Errno | null {
    const owner = this.uid === GUEST_UID;
    if (uid !== -1 && (uid !== this.uid || !owner)) return 'EPERM';
    if (gid !== -1 && (!owner || gid !== GUEST_GID)) return 'EPERM';
    if (gid !== -1) this.gid = gid;
    // A non-root chown clears set-user-ID and set-group-ID (chown(2)).
    if (this.kind === 'file' && (uid !== -1 || gid !== -1)) this.perm &= ~(S_ISUID | (this.perm & 0o10 ? S_ISGID : 0));
    this.upper = true;
    this.touchChanged();
    return null;
  }

  /** The last name went (unlink, rmdir, rename over it). */
  dropLink(): void {
    if (this.nlink > 0) this.nlink--;
    this.touchChanged();
  }
}

/** Where a regular file's bytes come from until it is copied up. */
export interface ContentSource {
  readonly size: number;
  read(): Uint8Array | Errno;
  /** Why the file cannot be opened at all (a host FIFO or device), if so. */
  readonly refuse?: Errno;
}

export class LowerContent implements ContentSource {
  readonly refuse?: Errno;

  constructor(
    private readonly ref: LowerRef,
    readonly size: number,
    kind: LowerStat['kind'],
  ) {
    // A host FIFO, socket or device is never opened; a file past MAX_FILE_BYTES is not held in memory.
    if (kind !== 'file') this.refuse = 'EACCES';
    else if (size > MAX_FILE_BYTES) this.refuse = 'EFBIG';
  }

  read(): Uint8Array | FsError {
    return this.ref.layer.read(this.ref.parts);
  }
}

/** Fixed bytes (the running program's own ELF, behind /proc/self/exe). */
export class FixedContent implements ContentSource {
  constructor(private readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.length;
  }
  read(): Uint8Array {
    return this.bytes;
  }
}

export class FileInode extends Inode implements MappedFile {
  readonly kind = 'file';
  /** The overlay's copy; null while the bytes are still the source's (a lower file). */
  data: PageData | null = null;
  /** Open file descriptions referring to it (its pages live until the last one and its last name go). */
  opens = 0;
  /** Address spaces that map it. */
  private readonly spaces = new Set<AddressSpace>();

  constructor(
    core: FsCore,
    ino: bigint,
    perm: number,
    time: Timespec,
    /** Where the bytes are before copy-up; null for a file the guest created. */
    public source: ContentSource | null,
    /** Why the file may not be written (ETXTBSY for the running program), if so. */
    readonly readOnly: Errno | null = null,
  ) {
    super(core, ino, perm, time);
    if (!source) this.data = new PageData(core.budget);
  }

  override get size(): number {
    return this.data ? this.data.size : this.source!.size;
  }

  override get blocks(): number {
    return this.data ? this.data.allocated * 8 : Math.ceil(this.source!.size / BLOCK) * 8;
  }

  /** The bytes [off, off+n) clipped at the end; shared mappings are written back first. */
  read(off: number, n: number): Uint8Array | Errno {
    for (const s of this.spaces) s.flushFile(this, off, n);
    if (this.data) return this.data.read(off, n);
    const bytes = this.source!.read();
    if (typeof bytes === 'string') return bytes;
    return bytes.slice(Math.min(off, bytes.length), Math.min(off + n, bytes.length));
  }

  /** Move the bytes into the overlay (the first write), charging --fs-limit. */
  copyUp(): Errno | null {
    this.upper = true;
    if (this.data) return null;
    const bytes = this.source!.read();
    if (typeof bytes === 'string') return bytes;
    const d = PageData.from(this.core.budget, bytes);
    if (d === 'ENOSPC') return 'ENOSPC';
    this.data = d;
    this.source = null;
    return null;
  }

  /** Store bytes at off: the count stored (short when the budget ran out), or the errno. */
  write(off: number, bytes: Uint8Array): number | Errno {
    if (bytes.length === 0) return 0;
    if (off + bytes.length > MAX_FILE_SIZE) return 'EFBIG';
    const up = this.copyUp();
    if (up) return up;
    const data = this.data!;
    // Bytes a mapping holds past the old end were never the file's: the hole reads as zeros.
    if (off > data.size) this.zeroViews(data.size, off);
    const before = this.spaces.size ? data.slice(off, bytes.length) : null;
    const n = data.write(off, bytes);
    if (n === 0) return 'ENOSPC';
    if (before) for (const s of this.spaces) s.fileChanged(this, off, before.subarray(0, n), bytes.subarray(0, n));
    this.touchModified();
    return n;
  }

  /** Set the size (truncate, ftruncate, O_TRUNC). */
  truncate(len: number): Errno | null {
    if (len > MAX_FILE_SIZE) return 'EFBIG';
    const up = this.copyUp();
    if (up) return up;
    const data = this.data!;
    // Mapped bytes between the old and the new end read as zeros (Linux zeroes the partial page either way).
    this.zeroViews(Math.min(len, data.size), Math.max(len, data.size));
    data.truncate(len);
    this.touchModified();
    return null;
  }

  /** Show [from, to) of the file as zeros in every mapping of it (its end moved over that range). */
  private zeroViews(from: number, to: number): void {
    const n = Math.min(to, from + MAX_VIEW_ZERO) - from;
    if (n <= 0 || !this.spaces.size) return;
    const before = this.data ? this.data.slice(from, n) : new Uint8Array(n);
    for (const s of this.spaces) s.fileChanged(this, from, before, new Uint8Array(n));
  }

  /** fallocate mode 0: allocate [off, off+len), growing the file. */
  allocate(off: number, len: number): Errno | null {
    if (off + len > MAX_FILE_SIZE) return 'EFBIG';
    const up = this.copyUp();
    if (up) return up;
    if (!this.data!.allocate(off, len)) return 'ENOSPC';
    this.touchChanged();
    return null;
  }

  /** Give the pages back when nothing refers to the file any more. */
  release(): void {
    if (this.nlink === 0 && this.opens === 0 && this.spaces.size === 0 && this.data) this.data.free();
  }

  // ---- MappedFile (src/linux/mm.ts) ----

  mapsPath(): string {
    return this.path();
  }

  pageIn(offset: number, n: number): Uint8Array {
    if (this.data) return this.data.slice(offset, n);
    const out = new Uint8Array(n);
    const bytes = this.source!.read();
    if (typeof bytes !== 'string' && offset < bytes.length) out.set(bytes.subarray(offset, Math.min(bytes.length, offset + n)));
    return out;
  }

  writeBack(offset: number, bytes: Uint8Array): void {
    // A file still in its lower layer is only ever mapped read-only: nothing to keep.
    const data = this.data;
    if (!data) return;
    const end = Math.min(offset + bytes.length, data.size);
    // Only another view of these bytes needs telling (the one written back has them).
    const others = this.spaces.size > 1 || [...this.spaces].some((s) => s.viewsOf(this, offset, bytes.length).length > 1);
    // Page by page, so that a page the mapping never changed is not allocated (a hole stays a hole).
    for (let at = offset; at < end; at = (Math.floor(at / BLOCK) + 1) * BLOCK) {
      const stop = Math.min(end, (Math.floor(at / BLOCK) + 1) * BLOCK);
      const before = data.slice(at, stop - at);
      const after = bytes.subarray(at - offset, stop - offset);
      if (Buffer.compare(before, after) === 0) continue;
      data.write(at, after, true);
      this.upper = true;
      this.touchModified();
      // Other views of the file (another shared mapping, an untouched private page) see the stores now.
      if (others) for (const s of this.spaces) s.fileChanged(this, at, before, after);
    }
  }

  attach(space: AddressSpace): void {
    this.spaces.add(space);
  }

  detach(space: AddressSpace): void {
    this.spaces.delete(space);
    this.release();
  }

  /** Write back every shared mapping of it (before --fs-out reads it). */
  flushMappings(): void {
    for (const s of this.spaces) s.flushFile(this, 0, this.size);
  }
}

/** Most bytes past a new end of file that a truncate zeroes in mappings (pages past it are never read back). */
const MAX_VIEW_ZERO = 1 << 24;

export class SymlinkInode extends Inode {
  readonly kind = 'symlink';

  constructor(
    core: FsCore,
    ino: bigint,
    time: Timespec,
    private text: string | null,
    private readonly lower: LowerRef | null = null,
  ) {
    super(core, ino, 0o777, time);
  }

  /**
   * A /proc "magic link" (/proc/self/exe, /proc/self/fd/N, /proc/self/cwd) leads straight
   * to an inode, whatever its target text says; an ordinary link returns null.
   */
  jump(): Inode | Errno | null {
    return null;
  }

  /** What it points to. */
  target(): { target: string } | Errno {
    if (this.text !== null) return { target: this.text };
    const t = this.lower!.layer.readlink(this.lower!.parts);
    if (typeof t !== 'string') this.text = t.target;
    return t;
  }

  override get size(): number {
    const t = this.target();
    return typeof t === 'string' ? 0 : Buffer.byteLength(t.target);
  }

  /** What a new link with this target costs beyond its name (tmpfs keeps short targets in the inode). */
  static cost(target: string): number {
    return new TextEncoder().encode(target).length >= SHORT_SYMLINK ? BLOCK : 0;
  }
}

/** A FIFO or socket node (mknod), a character device, or a file that is not the overlay's. */
export class SpecialInode extends Inode {
  constructor(
    core: FsCore,
    ino: bigint,
    perm: number,
    time: Timespec,
    readonly kind: 'chr' | 'fifo' | 'sock',
    rdev = 0n,
  ) {
    super(core, ino, perm, time);
    this.rdev = rdev;
  }
}

/** A directory: its names, looked up one at a time. */
export abstract class DirInode extends Inode {
  readonly kind = 'dir';

  /** The inode a name refers to, null when there is none. */
  abstract lookup(name: string): Inode | null | Errno;
  /** Every name, sorted (without "." and ".."). */
  abstract names(): string[] | Errno;

  /** The overlay's writable directory this is, if it is one (not /proc or /dev). */
  asOverlay(): OverlayDir | null {
    return null;
  }

  override get size(): number {
    return BLOCK;
  }

  override get blocks(): number {
    return 8;
  }

  /** "." and ".." and one link from each subdirectory (ext4 and tmpfs count so). */
  override stat(): StatInfo {
    const st = super.stat();
    const names = this.names();
    let subdirs = 0;
    if (typeof names !== 'string') for (const n of names) if (entryKind(this.lookup(n)) === 'dir') subdirs++;
    return { ...st, nlink: this.nlink === 0 ? 0 : 2 + subdirs };
  }
}

function entryKind(i: Inode | null | Errno): InodeKind | null {
  return i && typeof i !== 'string' ? i.kind : null;
}

/**
 * A directory of the overlay: its own entries (made or looked up so far) over the same
 * directory in each lower layer (top first), minus whiteouts.
 */
export class OverlayDir extends DirInode {
  /** Entries by name: made by the guest, or lower entries looked up so far. */
  readonly entries = new Map<string, Inode>();
  /** Lower entries the guest deleted. */
  readonly whiteouts = new Set<string>();
  /** Names whose --fs-limit cost this directory holds (entries the guest made, and whiteouts). */
  private readonly charged = new Set<string>();
  /** Mounted file systems (/dev, /proc on the root): found before anything else, never removed. */
  readonly mounts = new Map<string, DirInode>();
  /** Made where a lower directory was deleted: the lower one does not show through (overlayfs "opaque"). */
  opaque = false;
  /** Moved by rename while it merged lower directories: --fs-out writes all of it. */
  redirected = false;

  constructor(
    core: FsCore,
    ino: bigint,
    perm: number,
    time: Timespec,
    /** The same directory in each lower layer, top first. */
    readonly lowers: readonly LowerRef[],
  ) {
    super(core, ino, perm, time);
  }

  override asOverlay(): OverlayDir {
    return this;
  }

  lookup(name: string): Inode | null | Errno {
    const m = this.mounts.get(name);
    if (m) return m;
    const e = this.entries.get(name);
    if (e) return e;
    if (this.whiteouts.has(name) || this.nlink === 0) return null;
    return this.fromLower(name);
  }

  names(): string[] | Errno {
    const all = new Set<string>([...this.mounts.keys(), ...this.entries.keys()]);
    for (const low of this.lowers) {
      const list = low.layer.list(low.parts);
      if (typeof list === 'string') return list;
      for (const n of list) if (!this.whiteouts.has(n)) all.add(n);
    }
    return [...all].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Whether some lower layer has this name here (a deletion must then leave a whiteout). */
  lowerHas(name: string): boolean {
    return this.lowers.some((low) => {
      const st = low.layer.stat([...low.parts, name]);
      return st !== null;
    });
  }

  /** Look a name up in the lower layers and keep the inode (unchanged, not charged). */
  private fromLower(name: string): Inode | null | Errno {
    for (let i = 0; i < this.lowers.length; i++) {
      const low = this.lowers[i]!;
      const parts = [...low.parts, name];
      const st = low.layer.stat(parts);
      if (st === null) continue;
      if (typeof st === 'string') return st;
      const path = this.childPath(name);
      const core = this.core;
      let inode: Inode;
      if (st.kind === 'dir') {
        // Directories merge across layers; a non-directory below hides the rest (overlayfs).
        const dirs: LowerRef[] = [{ layer: low.layer, parts }];
        for (const below of this.lowers.slice(i + 1)) {
          const p = [...below.parts, name];
          const s2 = below.layer.stat(p);
          if (s2 === null) continue;
          if (typeof s2 === 'string' || s2.kind !== 'dir') break;
          dirs.push({ layer: below.layer, parts: p });
        }
        inode = new OverlayDir(core, inodeOf(path), st.perm, core.epoch, dirs);
      } else if (st.kind === 'symlink') {
        inode = new SymlinkInode(core, inodeOf(path), core.epoch, null, { layer: low.layer, parts });
      } else {
        inode = new FileInode(core, inodeOf(path), st.perm, core.epoch, new LowerContent({ layer: low.layer, parts }, st.size, st.kind));
      }
      inode.parent = this;
      inode.name = name;
      this.entries.set(name, inode);
      return inode;
    }
    return null;
  }

  private childPath(name: string): string {
    const p = this.path();
    return (p === '/' ? '' : p) + '/' + name;
  }

  /** --fs-limit cost of adding a name here (0 when the name's cost is already held, as a whiteout's). */
  addCost(name: string): number {
    return this.charged.has(name) ? 0 : 1;
  }

  /** Add a name the guest made (the name must be free); false when --fs-limit is full. */
  add(name: string, inode: Inode): boolean {
    if (!this.charged.has(name)) {
      if (!this.core.budget.takeName()) return false;
      this.charged.add(name);
    }
    this.whiteouts.delete(name);
    this.entries.set(name, inode);
    inode.parent = this;
    inode.name = name;
    return true;
  }

  /** Remove a name; a lower entry under it is whited out (which costs a name, or ENOSPC). */
  remove(name: string): boolean {
    const whiteout = !this.opaque && this.lowerHas(name);
    if (whiteout && !this.charged.has(name)) {
      if (!this.core.budget.takeName()) return false;
      this.charged.add(name);
    }
    this.entries.delete(name);
    if (whiteout) this.whiteouts.add(name);
    else if (this.charged.delete(name)) this.core.budget.giveName();
    return true;
  }

  /** The cost in names of removing `name` (a whiteout may be needed). */
  removeCost(name: string): number {
    return !this.opaque && !this.charged.has(name) && this.lowerHas(name) ? 1 : 0;
  }
}

/**
 * A directory whose names are given by a function (the /dev and /proc trees): read-only
 * to the guest by its permissions (root's, 0555).
 */
export class SyntheticDir extends DirInode {
  constructor(
    core: FsCore,
    ino: bigint,
    private readonly children: () => ReadonlyMap<string, Inode>,
    dev: bigint,
    perm = 0o555,
  ) {
    super(core, ino, perm, core.epoch, 0, 0);
    this.dev = dev;
  }

  lookup(name: string): Inode | null {
    const c = this.children().get(name) ?? null;
    if (c && !c.parent) {
      c.parent = this;
      c.name = name;
    }
    return c;
  }

  names(): string[] {
    return [...this.children().keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
}
