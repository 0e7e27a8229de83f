// Open file descriptions (open(2): "the open file description records the file offset and
// the file status flags"): what the descriptors of src/linux/fdtable.ts refer to, and
// what dup'ed descriptors (and, with processes, forked ones) share. One class per kind of
// file; the system calls of src/linux/syscalls/ call these methods and never look inside.
//
// A method that cannot finish now (nothing to read yet) returns a Block: the call waits on
// it (see Wait) and is made again once the wait may be over, as Linux restarts a sleeping
// call after a wake-up.

import type { Errno } from '../errno.js';
import type { StatInfo } from '../structs.js';

/** What a blocked system call waits for. */
export interface Wait {
  /** For the hang report: "a read of stdin", "futex wait on 0x1234". */
  what: string;
  /**
   * Wait on the host for at most ms milliseconds (input from outside the guest, such as
   * crashlab's stdin): true when the call may now go on, false when the time ran out.
   * Absent when only the guest itself could end the wait.
   */
  hostWait?(ms: number): boolean;
}

export interface Block {
  block: Wait;
}

export function isBlock(v: unknown): v is Block {
  return typeof v === 'object' && v !== null && 'block' in v;
}

/** poll(2) event bits (asm-generic/poll.h). */
export const POLLIN = 0x1;
export const POLLPRI = 0x2;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;

/** Access mode and status flags (asm-generic/fcntl.h; the same on the four guests). */
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_ACCMODE = 3;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;

/** ioctl requests (asm-generic/ioctls.h). */
export const TCGETS = 0x5401;
export const TIOCGWINSZ = 0x5413;
export const FIONREAD = 0x541b;

export type ReadResult = Uint8Array | Errno | Block;
export type WriteResult = number | Errno | Block;

/** An entry of a directory listing, for getdents64. */
export interface DirEntry {
  name: string;
  kind: 'file' | 'dir' | 'symlink' | 'chr' | 'fifo' | 'sock' | 'other';
  ino: bigint;
}

export abstract class OpenFile {
  /** File offset, for the files that have one. */
  offset = 0;
  /** Descriptors (in every process) that refer to this description. */
  private refs = 0;

  constructor(
    /** Access mode and status flags, as F_GETFL reports them. */
    public flags: number,
  ) {}

  get readable(): boolean {
    return (this.flags & O_ACCMODE) !== O_WRONLY;
  }

  get writable(): boolean {
    return (this.flags & O_ACCMODE) !== O_RDONLY;
  }

  /** The guest path it was opened by (for /proc/self/fd and the report); '' when it has none. */
  get path(): string {
    return '';
  }

  /** Read up to n bytes at the offset (at === null) or at a position (pread). */
  read(_n: number, _at: number | null): ReadResult {
    return 'EINVAL';
  }

  write(_data: Uint8Array, _at: number | null): WriteResult {
    return 'EINVAL';
  }

  /** Size for lseek's SEEK_END; null for a file that cannot seek (ESPIPE). */
  seekSize(): number | null {
    return null;
  }

  abstract stat(): StatInfo;

  /** Ready events now (POLLIN, POLLOUT, POLLHUP...), for poll and select. */
  poll(): number {
    return (this.readable ? POLLIN : 0) | (this.writable ? POLLOUT : 0);
  }

  /**
   * An ioctl that reports something: the bytes to store at its argument (the call then
   * returns 0). ENOTTY for what the file does not know, as for every non-terminal.
   */
  ioctl(_request: number): Uint8Array | Errno {
    return 'ENOTTY';
  }

  /** A directory's entries, for getdents64; ENOTDIR for every other file. */
  entries(): DirEntry[] | Errno {
    return 'ENOTDIR';
  }

  /** A descriptor now refers to it (open, dup, fork). */
  hold(): this {
    this.refs++;
    return this;
  }

  /** A descriptor that referred to it was closed; the last one releases it. */
  drop(): void {
    if (--this.refs === 0) this.release();
  }

  /** The last descriptor referring to it was closed (a pipe end tells its peer). */
  protected release(): void {}
}
