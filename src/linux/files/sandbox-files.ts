// Files of the read-only --fs directory, opened: a regular file (its bytes, read once per
// run and shared with the replay) and a directory (its entries, sorted by name).

import type { Errno } from '../errno.js';
import type { FsNode, Sandbox } from '../fs.js';
import type { StatInfo } from '../structs.js';
import { OpenFile, O_RDONLY, type DirEntry, type ReadResult, type WriteResult } from './file.js';
import { inodeOf, statOfNode } from './stat.js';

export class SandboxFile extends OpenFile {
  constructor(
    readonly node: FsNode,
    readonly data: Uint8Array,
  ) {
    super(O_RDONLY);
  }

  override get path(): string {
    return this.node.guestPath;
  }

  override read(n: number, at: number | null): ReadResult {
    const from = at ?? this.offset;
    const chunk = this.data.subarray(Math.min(from, this.data.length), Math.min(from + n, this.data.length));
    if (at === null) this.offset = from + chunk.length;
    return chunk;
  }

  override write(): WriteResult {
    return 'EBADF'; // opened read-only: the file system is
  }

  override seekSize(): number {
    return this.data.length;
  }

  override stat(): StatInfo {
    return statOfNode(this.node);
  }
}

export class SandboxDir extends OpenFile {
  constructor(
    readonly node: FsNode,
    private readonly sandbox: Sandbox,
  ) {
    super(O_RDONLY);
  }

  override get path(): string {
    return this.node.guestPath;
  }

  override read(): ReadResult {
    return 'EISDIR';
  }

  override write(): WriteResult {
    return 'EBADF';
  }

  override seekSize(): number {
    return 0;
  }

  override stat(): StatInfo {
    return statOfNode(this.node);
  }

  override entries(): DirEntry[] | Errno {
    const list = this.sandbox.list(this.node);
    if (typeof list === 'string') return list;
    const all = [{ name: '.', kind: 'dir' as const }, { name: '..', kind: 'dir' as const }, ...list];
    return all.map((e) => ({ ...e, ino: inodeOf(this.node.guestPath + '/' + e.name) }));
  }

}
