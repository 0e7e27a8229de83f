// /dev: the character devices programs open by name, made by crashlab (nothing of the
// host's /dev is visible). null, zero and full as drivers/char/mem.c makes them; random
// and urandom give the run's deterministic bytes (the generator getrandom uses, so the
// two draw from one stream); tty is the controlling terminal, which a guest has only when
// crashlab's stdin is a terminal (otherwise ENXIO, as for a process without one). The
// stdin/stdout/stderr and fd links udev makes point into /proc/self/fd, and /dev/shm is a
// writable directory of the overlay (shm_open).

import type { Errno } from '../errno.js';
import { OpenFile } from '../files/file.js';
import { InodeFile } from '../files/vfs-files.js';
import type { ReadResult, WriteResult } from '../files/file.js';
import { inodeOf, OverlayDir, SpecialInode, SymlinkInode, SyntheticDir, type FsCore, type Inode } from './inode.js';
import type { MountBuilder } from './vfs.js';

/** st_dev of /dev (devtmpfs, 0:5). */
export const DEV_DEV = 0x5n;

export interface DeviceHooks {
  /** The run's random bytes (shared with getrandom). */
  random(n: number): Uint8Array;
  /** Open the controlling terminal (the /dev/tty node), or ENXIO when the guest has none. */
  tty(node: Inode, flags: number): OpenFile | Errno;
}

/** A character device node: opening it makes its kind of open file. */
export class DeviceInode extends SpecialInode {
  constructor(
    core: FsCore,
    path: string,
    major: number,
    minor: number,
    private readonly opener: (inode: DeviceInode, flags: number) => OpenFile | Errno,
    perm = 0o666,
  ) {
    super(core, inodeOf(path), perm, core.epoch, 'chr', BigInt((major << 8) | minor));
    this.uid = 0;
    this.gid = 0;
    this.dev = DEV_DEV;
  }

  open(flags: number): OpenFile | Errno {
    return this.opener(this, flags);
  }
}

/** A device file: reads and writes as its driver does; no offset to speak of (lseek gives 0). */
class DeviceFile extends InodeFile {
  constructor(
    inode: Inode,
    flags: number,
    private readonly onRead: (n: number) => ReadResult,
    private readonly onWrite: (data: Uint8Array) => WriteResult,
  ) {
    super(inode, flags);
  }

  override read(n: number): ReadResult {
    return this.onRead(n);
  }

  override write(data: Uint8Array): WriteResult {
    return this.onWrite(data);
  }

  override seekSize(): number {
    return 0;
  }
}

/** /dev/zero's file: mapping it gives anonymous memory (mmap of /dev/zero). */
export class ZeroFile extends DeviceFile {}

export function devTree(hooks: DeviceHooks): MountBuilder {
  return (core) => {
    const sink = (d: Uint8Array) => d.length;
    const nodes = new Map<string, Inode>();
    const dev = (name: string, major: number, minor: number, open: (i: DeviceInode, flags: number) => OpenFile | Errno) =>
      nodes.set(name, new DeviceInode(core, `/dev/${name}`, major, minor, open));
    dev('null', 1, 3, (i, f) => new DeviceFile(i, f, () => new Uint8Array(0), sink));
    dev('zero', 1, 5, (i, f) => new ZeroFile(i, f, (n) => new Uint8Array(n), sink));
    dev('full', 1, 7, (i, f) => new DeviceFile(i, f, (n) => new Uint8Array(n), () => 'ENOSPC'));
    dev('random', 1, 8, (i, f) => new DeviceFile(i, f, (n) => hooks.random(n), sink));
    dev('urandom', 1, 9, (i, f) => new DeviceFile(i, f, (n) => hooks.random(n), sink));
    dev('tty', 5, 0, (i, f) => hooks.tty(i, f));
    nodes.get('tty')!.gid = 5; // group tty
    const link = (name: string, target: string) => nodes.set(name, Object.assign(new SymlinkInode(core, inodeOf(`/dev/${name}`), core.epoch, target), { uid: 0, gid: 0, dev: DEV_DEV }));
    link('fd', '/proc/self/fd');
    link('stdin', '/proc/self/fd/0');
    link('stdout', '/proc/self/fd/1');
    link('stderr', '/proc/self/fd/2');
    const shm = new OverlayDir(core, inodeOf('/dev/shm'), 0o1777, core.epoch, []);
    shm.uid = 0;
    shm.gid = 0;
    nodes.set('shm', shm);
    return new SyntheticDir(core, inodeOf('/dev'), () => nodes, DEV_DEV, 0o755);
  };
}
