// Open files of the guest's file system (src/linux/vfs/): a regular file of the overlay
// or a lower layer, a directory, a /proc file (generated when read from its start), and
// an O_PATH descriptor. Each refers to its inode, so a rename or unlink after open changes
// what /proc/self/fd shows, as on Linux, and the file's pages live while it is open.

import type { Errno } from '../errno.js';
import type { DirInode, FileInode, Inode } from '../vfs/inode.js';
import type { StatInfo } from '../structs.js';
import { Struct } from '../structs.js';
import { FIONREAD, O_APPEND, OpenFile, type DirEntry, type ReadResult, type WriteResult } from './file.js';

/** An open file of the VFS: its inode and the path it shows. */
export abstract class InodeFile extends OpenFile {
  constructor(
    readonly inode: Inode,
    flags: number,
  ) {
    super(flags);
  }

  override get path(): string {
    return this.inode.path();
  }

  override stat(): StatInfo {
    return this.inode.stat();
  }
}

export class RegularFile extends InodeFile {
  declare readonly inode: FileInode;

  constructor(inode: FileInode, flags: number) {
    super(inode, flags);
    inode.opens++;
  }

  override read(n: number, at: number | null): ReadResult {
    const from = at ?? this.offset;
    const data = this.inode.read(from, n);
    if (typeof data === 'string') return data;
    if (at === null) this.offset = from + data.length;
    return data;
  }

  override write(data: Uint8Array, at: number | null): WriteResult {
    if (!this.writable) return 'EBADF';
    // O_APPEND writes at the end, pwrite's position notwithstanding (pwrite(2), BUGS).
    const pos = this.flags & O_APPEND ? this.inode.size : at ?? this.offset;
    const n = this.inode.write(pos, data);
    if (typeof n === 'string') return n;
    if (at === null) this.offset = pos + n;
    return n;
  }

  override seekSize(): number {
    return this.inode.size;
  }

  override ioctl(request: number): Uint8Array | Errno {
    // FIONREAD on a regular file: the bytes between the offset and the end.
    if (request === FIONREAD) return new Struct(4).u32(0, Math.max(0, Math.min(0x7fffffff, this.inode.size - this.offset))).bytes;
    return 'ENOTTY';
  }

  protected override release(): void {
    this.inode.opens--;
    this.inode.release();
  }
}

/** DT_* kinds of struct linux_dirent64's d_type, by inode kind. */
type EntryKind = DirEntry['kind'];

export class DirFile extends InodeFile {
  declare readonly inode: DirInode;
  /** The last name getdents64 returned, and the offset it left: the next call resumes after that name. */
  private resumeAt: { offset: number; name: string } | null = null;

  override read(): ReadResult {
    return 'EISDIR';
  }

  override write(): WriteResult {
    return 'EBADF';
  }

  override seekSize(): number {
    return 0;
  }

  override entries(): DirEntry[] | Errno {
    const dir = this.inode;
    const names = dir.names();
    if (typeof names === 'string') return names;
    const out: DirEntry[] = [
      { name: '.', kind: 'dir', ino: dir.ino },
      { name: '..', kind: 'dir', ino: (dir.parent ?? dir).ino },
    ];
    for (const name of names) {
      const i = dir.lookup(name);
      if (!i || typeof i === 'string') continue;
      out.push({ name, kind: i.kind as EntryKind, ino: i.ino });
    }
    return out;
  }

  /**
   * Where a getdents64 starts in entries: after the name the last one ended with, so that
   * removing names while reading (rm -r) skips none; after a seek, at the offset.
   */
  startIndex(entries: readonly DirEntry[]): number {
    const r = this.resumeAt;
    if (!r || r.offset !== this.offset) return this.offset;
    const i = entries.findIndex((e, k) => k >= 2 && e.name > r.name);
    return i < 0 ? entries.length : i;
  }

  /** getdents64 returned up to entries[index - 1]. */
  advanced(entries: readonly DirEntry[], index: number): void {
    this.offset = index;
    const last = entries[index - 1];
    this.resumeAt = last && index > 2 ? { offset: index, name: last.name } : null;
  }
}

/** An O_PATH descriptor: a place in the tree (for *at() calls and fstat), never read or written. */
export class PathFile extends InodeFile {
  override read(): ReadResult {
    return 'EBADF';
  }

  override write(): WriteResult {
    return 'EBADF';
  }

  override ioctl(): Uint8Array | Errno {
    return 'EBADF';
  }
}

/**
 * A generated file (/proc): its text is made when it is opened and again whenever it is
 * read from offset 0, so a reread sees the process as it is then (seq_file does so).
 */
export class SnapshotFile extends InodeFile {
  private text: Uint8Array;

  constructor(
    inode: Inode,
    flags: number,
    private readonly generate: () => Uint8Array,
  ) {
    super(inode, flags);
    this.text = generate();
  }

  override read(n: number, at: number | null): ReadResult {
    const from = at ?? this.offset;
    if (from === 0) this.text = this.generate();
    const chunk = this.text.slice(Math.min(from, this.text.length), Math.min(from + n, this.text.length));
    if (at === null) this.offset = from + chunk.length;
    return chunk;
  }

  override write(): WriteResult {
    return 'EINVAL';
  }

  override seekSize(): number {
    return this.text.length;
  }
}
