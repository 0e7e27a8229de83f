// A process's view of the file system (Linux's fs_struct): its root, its current
// directory and its umask. A forked child gets a copy; threads share one.

import type { DirInode } from './inode.js';

export class FsContext {
  constructor(
    public root: DirInode,
    public cwd: DirInode,
    /** umask(2); Linux's default for a login process. */
    public umask = 0o022,
  ) {}

  fork(): FsContext {
    return new FsContext(this.root, this.cwd, this.umask);
  }
}
