// What the guest's file system reads from outside, and what it may not do there.
//
// The guest's files are a private, writable overlay (src/linux/vfs/) over read-only host
// directories (the --fs directory today; a sysroot later). Everything the lower layers
// answered (a file's bytes, a directory's names, an lstat, a link's target) and everything
// the guest read from stdin is kept in RunInputs, so that the exact-pc replay
// (src/emu/exact-pc.ts) sees the same bytes as the run it repeats, even if the host
// changes in between. The replay starts from the same lower layers and an empty overlay,
// and redoes the guest's writes itself.

export type FsError = 'ENOENT' | 'EACCES' | 'ENOTDIR' | 'ELOOP' | 'ENAMETOOLONG' | 'EFBIG';

/** Largest host file the guest may open (its bytes are held in memory for the run and the replay). */
export const MAX_FILE_BYTES = 256 << 20;

/** An lstat of a lower layer's entry, reduced to what the overlay uses. */
export interface LowerStat {
  kind: 'file' | 'dir' | 'symlink' | 'other';
  /** Permission bits (the low 12 bits of st_mode). */
  perm: number;
  size: number;
}

/**
 * Everything the guest read from outside (lower layers, stdin): kept so that the exact-pc
 * replay (src/emu/exact-pc.ts) sees the same bytes as the run it repeats.
 */
export class RunInputs {
  /** Lower-layer answers by "<layer>\0<op>\0<path>": file bytes, listings, lstat results, link targets, errors. */
  readonly lower = new Map<string, unknown>();
  /** What each read of stdin returned, in order: bytes, or the errno it failed with. */
  readonly stdin: (Uint8Array | 'EBADF' | 'EIO')[] = [];
  /** Whether each standard fd was a terminal in the first run. */
  tty: Record<0 | 1 | 2, boolean> = { 0: false, 1: false, 2: false };
  /** Set for a replay: stdin comes from `stdin` instead of the host. */
  replaying = false;

  /** The answer recorded under key, or compute it now and record it. */
  remember<T>(key: string, compute: () => T): T {
    if (this.lower.has(key)) return this.lower.get(key) as T;
    const v = compute();
    this.lower.set(key, v);
    return v;
  }
}
