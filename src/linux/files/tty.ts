// /dev/tty opened: the controlling terminal, which the guest has when crashlab's stdin is a
// terminal. It reads what the guest's stdin would (crashlab's own stdin, recorded for the
// replay) and writes where the guest's stderr goes, the same terminal.

import type { Errno } from '../errno.js';
import { terminalIoctl, type HostStdin } from './stdio.js';
import type { ReadResult, WriteResult } from './file.js';
import { InodeFile } from './vfs-files.js';
import type { Inode } from '../vfs/inode.js';

export class TtyFile extends InodeFile {
  constructor(
    inode: Inode,
    flags: number,
    private readonly stdin: HostStdin,
    private readonly output: (data: Uint8Array) => void,
  ) {
    super(inode, flags);
  }

  override read(n: number, at: number | null): ReadResult {
    if (at !== null) return 'ESPIPE';
    const r = this.stdin.read(n);
    if (r !== 'wait') return r;
    const stdin = this.stdin;
    return { block: { what: 'a read of /dev/tty', hostWait: (ms) => stdin.wait(ms) } };
  }

  override write(data: Uint8Array, at: number | null): WriteResult {
    if (at !== null) return 'ESPIPE';
    this.output(data);
    return data.length;
  }

  override ioctl(request: number): Uint8Array | Errno {
    return terminalIoctl(request);
  }
}
