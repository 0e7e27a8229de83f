// A read-only host directory as a lower layer of the guest's file system: the --fs
// directory, and (with dynamic programs) a sysroot. The overlay (src/linux/vfs/vfs.ts)
// asks a layer about one path at a time, given as the guest's path components below the
// layer's root, and does all path resolution itself: ".." and symbolic links never reach
// the host. So a layer is only ever asked about components that are plain names (never
// "", ".", ".." or anything with a "/"), under directories it already reported as real
// directories, never through a host symbolic link: nothing outside the root can be
// named. Only regular files are read and only directories listed; a host FIFO, socket or
// device is reported as 'other' and never opened. Every answer is recorded in RunInputs,
// so the exact-pc replay sees the same tree even if the host changes.

import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_FILE_BYTES, type FsError, type LowerStat, type RunInputs } from '../fs.js';

function hostError(e: unknown): FsError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'ENAMETOOLONG') return code;
  return 'EACCES';
}

function validName(c: string): boolean {
  return c !== '' && c !== '.' && c !== '..' && !c.includes('/') && !c.includes('\0');
}

export class HostDirLayer {
  /** The host directory, with its own symbolic links resolved once. */
  readonly root: string;

  constructor(
    hostDir: string,
    /** Names the layer in RunInputs ("fs", "sysroot"); two layers of one run differ. */
    readonly name: string,
    private readonly inputs: RunInputs,
  ) {
    this.root = realpathSync(hostDir);
  }

  /** The host path of parts, or null when a component is not a plain name (nothing can be there). */
  private host(parts: readonly string[]): string | null {
    if (!parts.every(validName)) return null;
    return join(this.root, ...parts);
  }

  private key(op: string, parts: readonly string[]): string {
    return `${this.name}\0${op}\0${parts.join('/')}`;
  }

  /** lstat of the entry at parts (the root for []): null when it does not exist. */
  stat(parts: readonly string[]): LowerStat | null | FsError {
    return this.inputs.remember(this.key('stat', parts), () => {
      const p = this.host(parts);
      if (p === null) return null;
      try {
        const s = lstatSync(p, { throwIfNoEntry: false });
        if (!s) return null;
        const kind = s.isFile() ? 'file' : s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : 'other';
        return { kind, perm: s.mode & 0o7777, size: s.isFile() ? s.size : 0 } satisfies LowerStat;
      } catch (e) {
        const err = hostError(e);
        return err === 'ENOENT' || err === 'ENOTDIR' ? null : err;
      }
    });
  }

  /** The names in the directory at parts, sorted (so listings do not depend on the host's order). */
  list(parts: readonly string[]): string[] | FsError {
    return this.inputs.remember(this.key('list', parts), () => {
      const p = this.host(parts);
      if (p === null) return 'ENOENT';
      try {
        return readdirSync(p).filter(validName).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      } catch (e) {
        return hostError(e);
      }
    });
  }

  /** A regular file's bytes (at most MAX_FILE_BYTES). */
  read(parts: readonly string[]): Uint8Array | FsError {
    return this.inputs.remember(this.key('read', parts), () => {
      const st = this.stat(parts);
      if (st === null) return 'ENOENT';
      if (typeof st === 'string') return st;
      if (st.kind !== 'file') return 'EACCES';
      if (st.size > MAX_FILE_BYTES) return 'EFBIG';
      try {
        // Opened by the path the overlay verified: every component a real directory.
        return new Uint8Array(readFileSync(join(this.root, ...parts)));
      } catch (e) {
        return hostError(e);
      }
    });
  }

  /** A symbolic link's target text (the overlay resolves it inside the guest's tree). */
  readlink(parts: readonly string[]): { target: string } | FsError {
    return this.inputs.remember(this.key('readlink', parts), () => {
      const p = this.host(parts);
      if (p === null) return 'ENOENT';
      try {
        return { target: readlinkSync(p) };
      } catch (e) {
        return hostError(e);
      }
    });
  }
}
