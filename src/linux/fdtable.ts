// A process's file descriptor table: small integers naming open file descriptions
// (src/linux/files/file.ts), each with its own close-on-exec flag. dup'ed descriptors share
// one description, offset included (open(2)); a forked child gets a copy of the table
// that refers to the same descriptions (fork(2)).

import type { Errno } from './errno.js';
import type { OpenFile } from './files/file.js';

/** RLIMIT_NOFILE's soft limit as the guest sees it (prlimit64 reports the same). */
export const MAX_FDS = 1024;

export interface Descriptor {
  file: OpenFile;
  cloexec: boolean;
}

export class FdTable {
  private readonly fds = new Map<number, Descriptor>();

  get(fd: number): Descriptor | undefined {
    return this.fds.get(fd);
  }

  file(fd: number): OpenFile | undefined {
    return this.fds.get(fd)?.file;
  }

  /** The lowest free descriptor at or above `from` for the description. */
  alloc(file: OpenFile, cloexec: boolean, from = 0): number | Errno {
    for (let fd = Math.max(0, from); fd < MAX_FDS; fd++) {
      if (!this.fds.has(fd)) {
        this.fds.set(fd, { file: file.hold(), cloexec });
        return fd;
      }
    }
    return 'EMFILE';
  }

  /** Make fd refer to file (dup2), closing what it referred to before. */
  set(fd: number, file: OpenFile, cloexec: boolean): void {
    file.hold();
    this.close(fd);
    this.fds.set(fd, { file, cloexec });
  }

  close(fd: number): boolean {
    const d = this.fds.get(fd);
    if (!d) return false;
    this.fds.delete(fd);
    d.file.drop();
    return true;
  }

  /** The open descriptors, in increasing order (for /proc/self/fd and poll). */
  list(): number[] {
    return [...this.fds.keys()].sort((a, b) => a - b);
  }

  /** A forked child's table: the same descriptions, flags copied. */
  fork(): FdTable {
    const t = new FdTable();
    for (const [fd, d] of this.fds) t.fds.set(fd, { file: d.file.hold(), cloexec: d.cloexec });
    return t;
  }

  /** execve: close the descriptors marked close-on-exec. */
  closeOnExec(): void {
    for (const [fd, d] of [...this.fds]) if (d.cloexec) this.close(fd);
  }

  /** The process exits: every descriptor is closed. */
  closeAll(): void {
    for (const fd of [...this.fds.keys()]) this.close(fd);
  }
}
