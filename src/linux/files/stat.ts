// What stat(2) reports for files that are not the file system's (the standard streams,
// pipes): host-independent values (a fixed device, the guest's own uid and gid, the
// virtual clock's epoch for every time), so that two hosts give the same bytes. The file
// system's inodes have their own (src/linux/vfs/inode.ts).

import { CLOCK_EPOCH_SEC, GUEST_GID, GUEST_UID } from '../ids.js';
import type { StatInfo } from '../structs.js';

/** The fields every such file shares. */
export function baseStat(): StatInfo {
  return { dev: 0x803n, ino: 0n, mode: 0, nlink: 1, uid: GUEST_UID, gid: GUEST_GID, rdev: 0n, size: 0n, blksize: 4096, blocks: 0n, time: { sec: CLOCK_EPOCH_SEC, nsec: 0 } };
}
