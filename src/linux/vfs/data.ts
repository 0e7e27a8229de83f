// The overlay's storage: file contents as sparse 4 KiB pages, and the one budget
// (--fs-limit) that every page and every name the guest creates is charged to.
//
// Accounting rule (what statfs reports and what ENOSPC enforces):
//   used = 4096 x (data pages allocated) + 1024 x (names the overlay holds)
// A page is allocated when a byte of it is first written (a hole left by ftruncate or a
// write past the end costs nothing, as on tmpfs); a name is a directory entry the guest
// created (file, directory, link, device node) or a whiteout recording that a lower
// layer's entry was deleted. Copying a lower file up (its first write) charges its pages.
// Pages written back through a MAP_SHARED mapping are not refused (the mapping is already
// bounded by --mem-limit) but count from then on.

import type { Errno } from '../errno.js';

export const BLOCK = 4096;
/** What a name costs (it bounds the memory the guest's directory entries take). */
export const NAME_COST = 1024;
/** Largest file offset the overlay stores (JavaScript's exact integers). */
export const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER;

export class FsBudget {
  private usedBytes = 0;
  private nameCount = 0;

  constructor(readonly limit: number) {}

  get used(): number {
    return this.usedBytes;
  }

  get names(): number {
    return this.nameCount;
  }

  /** Charge n bytes; false (nothing charged) when that would pass the limit, unless forced. */
  take(n: number, force = false): boolean {
    if (!force && this.usedBytes + n > this.limit) return false;
    this.usedBytes += n;
    return true;
  }

  give(n: number): void {
    this.usedBytes -= n;
  }

  takeName(): boolean {
    if (!this.take(NAME_COST)) return false;
    this.nameCount++;
    return true;
  }

  giveName(): void {
    this.give(NAME_COST);
    this.nameCount--;
  }
}

/** A file's bytes: a size and the pages written so far (holes read as zeros). */
export class PageData {
  private readonly pages = new Map<number, Uint8Array>();
  size = 0;

  constructor(private readonly budget: FsBudget) {}

  static from(budget: FsBudget, bytes: Uint8Array): PageData | 'ENOSPC' {
    const d = new PageData(budget);
    const r = d.write(0, bytes);
    if (r !== bytes.length) {
      d.free();
      return 'ENOSPC';
    }
    return d;
  }

  /** Pages allocated (st_blocks is 8 per page). */
  get allocated(): number {
    return this.pages.size;
  }

  /** Bytes [off, off+n) clipped at the end of the file; a fresh copy. */
  read(off: number, n: number): Uint8Array {
    const end = Math.min(this.size, off + n);
    if (off >= end) return new Uint8Array(0);
    return this.slice(off, end - off);
  }

  /** Bytes [off, off+n) whether or not inside the file (zeros past the end): a fresh copy. */
  slice(off: number, n: number): Uint8Array {
    const out = new Uint8Array(n);
    let at = off;
    while (at < off + n) {
      const idx = Math.floor(at / BLOCK);
      const within = at - idx * BLOCK;
      const k = Math.min(BLOCK - within, off + n - at);
      const page = this.pages.get(idx);
      if (page) out.set(page.subarray(within, within + k), at - off);
      at += k;
    }
    // Bytes past the size may remain in the last page after a shrink; they read as zero.
    if (off + n > this.size) out.fill(0, Math.max(0, this.size - off));
    return out;
  }

  /**
   * Store bytes at off, growing the file. Returns the bytes stored: fewer than asked
   * when the budget ran out (0: nothing stored, the caller answers ENOSPC).
   */
  write(off: number, bytes: Uint8Array, force = false): number {
    let done = 0;
    while (done < bytes.length) {
      const at = off + done;
      const idx = Math.floor(at / BLOCK);
      const within = at - idx * BLOCK;
      const k = Math.min(BLOCK - within, bytes.length - done);
      let page = this.pages.get(idx);
      if (!page) {
        if (!this.budget.take(BLOCK, force)) break;
        page = new Uint8Array(BLOCK);
        this.pages.set(idx, page);
      }
      page.set(bytes.subarray(done, done + k), within);
      done += k;
    }
    if (done > 0 && off + done > this.size) this.size = off + done;
    return done;
  }

  /** Set the size; pages wholly past it are freed, the tail of the last one zeroed. */
  truncate(n: number): void {
    if (n < this.size) {
      const keep = Math.ceil(n / BLOCK);
      for (const idx of [...this.pages.keys()]) {
        if (idx >= keep) {
          this.pages.delete(idx);
          this.budget.give(BLOCK);
        }
      }
      const last = this.pages.get(keep - 1);
      if (last && n % BLOCK) last.fill(0, n % BLOCK);
    }
    this.size = n;
  }

  /** Allocate the pages of [off, off+n) (fallocate); false when the budget ran out first. */
  allocate(off: number, n: number): boolean {
    for (let idx = Math.floor(off / BLOCK); idx * BLOCK < off + n; idx++) {
      if (this.pages.has(idx)) continue;
      if (!this.budget.take(BLOCK)) return false;
      this.pages.set(idx, new Uint8Array(BLOCK));
    }
    if (off + n > this.size) this.size = off + n;
    return true;
  }

  /** Give every page back (the file is gone). */
  free(): void {
    this.budget.give(this.pages.size * BLOCK);
    this.pages.clear();
    this.size = 0;
  }

  /** Each allocated page, in order (for --fs-out, which writes holes as holes). */
  *extents(): Generator<{ off: number; bytes: Uint8Array }> {
    for (const idx of [...this.pages.keys()].sort((a, b) => a - b)) {
      const off = idx * BLOCK;
      if (off >= this.size) continue;
      yield { off, bytes: this.pages.get(idx)!.subarray(0, Math.min(BLOCK, this.size - off)) };
    }
  }
}

export type SizeError = Extract<Errno, 'ENOSPC' | 'EFBIG'>;
