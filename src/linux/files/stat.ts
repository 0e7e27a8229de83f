// What stat(2) reports for guest files: host-independent values (a fixed device, an inode
// number derived from the guest path, the guest's own uid and gid, the virtual clock's
// epoch for every time), so that two hosts give the same bytes.

import { CLOCK_EPOCH_SEC, GUEST_GID, GUEST_UID } from '../ids.js';
import type { FsNode } from '../fs.js';
import { S_IFDIR, S_IFLNK, S_IFREG, type StatInfo } from '../structs.js';

/** The fields every guest file shares. */
export function baseStat(): StatInfo {
  return { dev: 0x803n, ino: 0n, mode: 0, nlink: 1, uid: GUEST_UID, gid: GUEST_GID, rdev: 0n, size: 0n, blksize: 4096, blocks: 0n, time: { sec: CLOCK_EPOCH_SEC, nsec: 0 } };
}

/** A stable inode number for a guest path (FNV-1a), so stat output is host-independent. */
export function inodeOf(path: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const c of new TextEncoder().encode(path)) h = BigInt.asUintN(64, (h ^ BigInt(c)) * 0x100000001b3n);
  return (h & 0xffffffn) + 2n;
}

/** A --fs file, directory or link: its permission bits and size, everything else fixed. */
export function statOfNode(f: FsNode): StatInfo {
  const mode = (f.stats.mode & 0o7777) | (f.kind === 'dir' ? S_IFDIR : f.kind === 'symlink' ? S_IFLNK : S_IFREG);
  const size = f.kind === 'dir' ? 4096n : BigInt(f.stats.size);
  return { ...baseStat(), ino: inodeOf(f.guestPath), mode, nlink: f.kind === 'dir' ? 2 : 1, size, blocks: (size + 511n) / 512n };
}
