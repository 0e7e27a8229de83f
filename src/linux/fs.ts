// The guest's file system: read-only, and only the directory given with --fs, seen by the
// guest as "/". Without --fs no host file is visible at all. Paths are resolved one
// component at a time with chroot semantics (path_resolution(7)): ".." stops at the
// root, and a symbolic link's target is resolved inside the root again, so neither
// "../" nor an absolute or relative link can reach a host file outside the directory.
// Only regular files and directories are opened; a host FIFO, socket or device is EACCES.

import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';

export type FsError = 'ENOENT' | 'EACCES' | 'ENOTDIR' | 'ELOOP' | 'ENAMETOOLONG' | 'EFBIG';

/** Linux's limit on symbolic links followed in one lookup (MAXSYMLINKS). */
const MAX_SYMLINKS = 40;
/** Largest file the guest may open (its bytes are held in memory for the run and the replay). */
export const MAX_FILE_BYTES = 256 << 20;

export interface FsNode {
  /** Normalised guest path, "/" for the root. */
  guestPath: string;
  hostPath: string;
  kind: 'file' | 'dir' | 'symlink' | 'other';
  stats: Stats;
}

function kindOf(s: Stats): FsNode['kind'] {
  return s.isFile() ? 'file' : s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : 'other';
}

function hostError(e: unknown): FsError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'ENAMETOOLONG') return code;
  return 'EACCES';
}

/**
 * Everything the guest read from outside (file contents, stdin): kept so that the exact-pc
 * replay (src/emu/exact-pc.ts) sees the same bytes as the run it repeats.
 */
export class RunInputs {
  readonly files = new Map<string, Uint8Array>();
  /** What each read of stdin returned, in order: bytes, or the errno it failed with. */
  readonly stdin: (Uint8Array | 'EBADF' | 'EIO')[] = [];
  /** Whether each standard fd was a terminal in the first run. */
  tty: Record<0 | 1 | 2, boolean> = { 0: false, 1: false, 2: false };
  /** Set for a replay: stdin comes from `stdin` instead of the host. */
  replaying = false;
}

export class Sandbox {
  private readonly root: string | null;

  constructor(
    root: string | null,
    private readonly inputs: RunInputs,
  ) {
    this.root = root === null ? null : realpathSync(root);
  }

  get enabled(): boolean {
    return this.root !== null;
  }

  /** Resolve a guest path (absolute, or relative to the guest directory `base`). */
  resolve(path: string, base: string, followLast: boolean): FsNode | FsError {
    if (this.root === null) return 'ENOENT';
    if (path.length > 4095) return 'ENAMETOOLONG';
    const root = this.root;
    const split = (p: string) => p.split('/').filter((c) => c !== '' && c !== '.');
    let queue = split(path);
    let resolved: string[] = path.startsWith('/') ? [] : split(base);
    let links = 0;
    let last: Stats = statSync(root);
    if (queue.length === 0) return { guestPath: '/' + resolved.join('/'), hostPath: join(root, ...resolved), kind: 'dir', stats: this.statAt(resolved) ?? last };
    while (queue.length) {
      const c = queue.shift()!;
      if (c === '..') {
        resolved.pop();
        last = this.statAt(resolved) ?? last;
        continue;
      }
      if (c.length > 255) return 'ENAMETOOLONG';
      const candidate = [...resolved, c];
      const host = join(root, ...candidate);
      let st: Stats | undefined;
      try {
        st = lstatSync(host, { throwIfNoEntry: false });
      } catch (e) {
        return hostError(e);
      }
      if (!st) return 'ENOENT';
      if (st.isSymbolicLink() && (queue.length > 0 || followLast)) {
        if (++links > MAX_SYMLINKS) return 'ELOOP';
        let target: string;
        try {
          target = readlinkSync(host);
        } catch (e) {
          return hostError(e);
        }
        if (target.startsWith('/')) resolved = [];
        queue = [...split(target), ...queue];
        continue;
      }
      if (queue.length > 0 && !st.isDirectory()) return 'ENOTDIR';
      resolved = candidate;
      last = st;
    }
    return { guestPath: '/' + resolved.join('/'), hostPath: join(root, ...resolved), kind: kindOf(last), stats: last };
  }

  private statAt(parts: string[]): Stats | undefined {
    try {
      return statSync(join(this.root!, ...parts));
    } catch {
      return undefined;
    }
  }

  /** A regular file's bytes, read once per run and shared with the replay. */
  contents(node: FsNode): Uint8Array | FsError {
    const cached = this.inputs.files.get(node.guestPath);
    if (cached) return cached;
    if (node.kind !== 'file') return 'EACCES';
    if (node.stats.size > MAX_FILE_BYTES) return 'EFBIG';
    try {
      const bytes = new Uint8Array(readFileSync(node.hostPath));
      this.inputs.files.set(node.guestPath, bytes);
      return bytes;
    } catch (e) {
      return hostError(e);
    }
  }

  /** A directory's entries, sorted (so listings do not depend on the host's order). */
  list(node: FsNode): { name: string; kind: FsNode['kind'] }[] | FsError {
    try {
      return readdirSync(node.hostPath, { withFileTypes: true })
        .map((d) => ({ name: d.name, kind: (d.isFile() ? 'file' : d.isDirectory() ? 'dir' : d.isSymbolicLink() ? 'symlink' : 'other') as FsNode['kind'] }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (e) {
      return hostError(e);
    }
  }

  /** A symbolic link's target text. */
  linkTarget(node: FsNode): { target: string } | FsError {
    try {
      return { target: readlinkSync(node.hostPath) };
    } catch (e) {
      return hostError(e);
    }
  }
}
