// The guest's address space as the Linux kernel would keep it (mm/mmap.c, mm/mprotect.c,
// mm/mremap.c semantics, page granular): the ELF image, the stack, the brk heap and
// anonymous or file-backed mmaps, each with its own permissions, all inside one memory
// limit (--mem-limit). The engine holds the bytes; this map is the authority on what is
// mapped and with which permissions, so the syscall layer can give EFAULT for a bad
// pointer instead of reading or writing through it (the engine itself ignores guest
// permissions on host-side reads and writes).
//
// File-backed mappings (mmap(2) of a file; src/linux/vfs/ files implement MappedFile):
// - MAP_PRIVATE: the pages are filled from the file at mmap time and are the process's
//   own from then on; a write() to the file later still shows in a private page that
//   still holds the file's old bytes (a page the process never wrote), as Linux shows it
//   until the process's first store copies the page.
// - MAP_SHARED: the engine's pages are the file's bytes while mapped. The file asks the
//   address spaces that map it to write their shared pages back before anyone reads the
//   file (read, --fs-out), and a write() to the file updates the mapped pages at once, so
//   read()/write() and loads/stores agree as on Linux for one process. munmap and msync
//   write back too. Past the end of the file a mapping reads zeros and its stores are
//   not kept (Linux raises SIGBUS for whole pages past the end; see README).

export const PAGE = 0x1000n;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;

/** Lowest address mmap hands out (Linux's default vm.mmap_min_addr). */
const MMAP_MIN_ADDR = 0x10000n;

export interface Mapping {
  start: bigint;
  end: bigint;
  /** PROT_* bits. */
  prot: number;
  kind: 'image' | 'stack' | 'heap' | 'mmap';
  /** The file it maps, for a file-backed mmap. */
  file?: FileBacking;
}

/** A file that mappings show (the VFS's regular files). */
export interface MappedFile {
  /** st_dev and st_ino, for /proc/self/maps. */
  readonly dev: bigint;
  readonly ino: bigint;
  /** Its path now, for /proc/self/maps. */
  mapsPath(): string;
  /** Its size in bytes now. */
  readonly size: number;
  /** Bytes [offset, offset+n) of the file, zeros past its end; a fresh copy. */
  pageIn(offset: number, n: number): Uint8Array;
  /** Bytes a MAP_SHARED mapping holds for [offset, ...): stored in the file up to its end. */
  writeBack(offset: number, bytes: Uint8Array): void;
  /** An address space maps the file (told once; detach when it maps it no more). */
  attach(space: AddressSpace): void;
  detach(space: AddressSpace): void;
}

export interface FileBacking {
  file: MappedFile;
  /** File offset of the mapping's first byte. */
  offset: bigint;
  shared: boolean;
  /** The file was opened for writing: a shared mapping may become writable (mprotect). */
  mayWrite: boolean;
}

/** Where a range of a file is mapped: [start, end) shows the file from offset on. */
export interface FileView {
  start: bigint;
  end: bigint;
  offset: bigint;
  shared: boolean;
}

/** What the address space needs from the engine. */
export interface MemoryBackend {
  map(start: bigint, size: bigint, prot: number): void;
  unmap(start: bigint, size: bigint): void;
  protect(start: bigint, size: bigint, prot: number): void;
  read(addr: bigint, n: number): Uint8Array;
  write(addr: bigint, bytes: Uint8Array): void;
}

export class MemoryLimitError extends Error {}

const alignUp = (v: bigint) => (v + PAGE - 1n) & ~(PAGE - 1n);
const alignDown = (v: bigint) => v & ~(PAGE - 1n);

/** Whether mapping b, starting where a ends, shows what a would show next (so they may merge). */
function continues(a: Mapping, b: Mapping): boolean {
  if (!a.file || !b.file) return !a.file && !b.file;
  const fa = a.file;
  const fb = b.file;
  return fa.file === fb.file && fa.shared === fb.shared && fa.mayWrite === fb.mayWrite && fa.offset + (a.end - a.start) === fb.offset;
}

/** The piece [start, end) of m, its file offset moved along. */
function piece(m: Mapping, start: bigint, end: bigint): Mapping {
  return { ...m, start, end, ...(m.file ? { file: { ...m.file, offset: m.file.offset + (start - m.start) } } : {}) };
}

/** Largest chunk moved between the engine and a file at once. */
const CHUNK = 1n << 20n;

export interface AddressSpaceOptions {
  limit: bigint;
  /** One past the highest user address (47-bit or 32-bit user space). */
  userTop: bigint;
  /** mmap searches downward from here (below the stack's guard). */
  mmapTop: bigint;
  /** First byte past the image's highest segment: where brk starts. */
  brkStart: bigint;
}

/** Mappings as sorted numbers, for protAt (the engine's TLB-fill hook asks on every TLB miss). */
interface ProtIndex {
  starts: Float64Array;
  ends: Float64Array;
  prots: Uint8Array;
}

export class AddressSpace {
  private maps: Mapping[] = [];
  /** Rebuilt on the first protAt after any change of the mappings. */
  private index: ProtIndex | null = null;
  private brkBase: bigint;
  private brkCur: bigint;
  readonly limit: bigint;
  private readonly userTop: bigint;
  private readonly mmapTop: bigint;

  constructor(
    private readonly backend: MemoryBackend,
    opts: AddressSpaceOptions,
  ) {
    this.limit = opts.limit;
    this.userTop = opts.userTop;
    this.mmapTop = opts.mmapTop;
    this.brkBase = alignUp(opts.brkStart);
    this.brkCur = this.brkBase;
  }

  /** Bytes mapped now (all kinds), the quantity --mem-limit bounds. */
  get mapped(): bigint {
    return this.maps.reduce((s, m) => s + (m.end - m.start), 0n);
  }

  get mappings(): readonly Mapping[] {
    return this.maps;
  }

  /** Map a fixed region at start-up (image pages, stack); throws MemoryLimitError past the limit. */
  addFixed(start: bigint, size: bigint, prot: number, kind: Mapping['kind']): void {
    if (this.mapped + size > this.limit) {
      throw new MemoryLimitError(`the guest needs more than the memory limit of ${formatBytes(this.limit)} at start-up`);
    }
    this.backend.map(start, size, prot);
    this.insert({ start, end: start + size, prot, kind });
  }

  private insert(m: Mapping): void {
    this.maps.push(m);
    this.maps.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    this.coalesce();
  }

  private coalesce(): void {
    this.index = null;
    const out: Mapping[] = [];
    for (const m of this.maps) {
      const last = out[out.length - 1];
      if (last && last.end === m.start && last.prot === m.prot && last.kind === m.kind && continues(last, m)) last.end = m.end;
      else out.push({ ...m });
    }
    this.maps = out;
  }

  private overlaps(start: bigint, end: bigint): boolean {
    return this.maps.some((m) => m.start < end && start < m.end);
  }

  /** Whether [addr, addr+len) is entirely mapped with at least `prot`. */
  accessible(addr: bigint, len: bigint, prot: number): boolean {
    if (len === 0n) return true;
    if (addr < 0n || addr + len > this.userTop) return false;
    let at = addr;
    const end = addr + len;
    for (const m of this.maps) {
      if (m.end <= at) continue;
      if (m.start > at) return false;
      if ((m.prot & prot) !== prot) return false;
      at = m.end;
      if (at >= end) return true;
    }
    return false;
  }

  /**
   * The PROT_* bits of the page holding addr (0 when unmapped). Called by the engine on
   * every TLB miss, so it answers from a sorted numeric index (user addresses are below
   * 2^53) with a binary search, not from the bigint mappings.
   */
  protAt(addr: number | bigint): number {
    const a = typeof addr === 'number' ? addr : addr < BigInt(Number.MAX_SAFE_INTEGER) ? Number(addr) : -1;
    if (a < 0) return 0;
    let ix = this.index;
    if (!ix) {
      const n = this.maps.length;
      ix = { starts: new Float64Array(n), ends: new Float64Array(n), prots: new Uint8Array(n) };
      this.maps.forEach((m, i) => {
        ix!.starts[i] = Number(m.start);
        ix!.ends[i] = Number(m.end);
        ix!.prots[i] = m.prot;
      });
      this.index = ix;
    }
    let lo = 0;
    let hi = ix.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (a < ix.starts[mid]!) hi = mid - 1;
      else if (a >= ix.ends[mid]!) lo = mid + 1;
      else return ix.prots[mid]!;
    }
    return 0;
  }

  /** copy_from_user: the bytes, or null (EFAULT) when any byte is unmapped or unreadable. */
  readUser(addr: bigint, len: number): Uint8Array | null {
    if (!this.accessible(addr, BigInt(len), PROT_READ)) return null;
    return len === 0 ? new Uint8Array(0) : this.backend.read(addr, len);
  }

  /** copy_to_user: false (EFAULT) when any byte is unmapped or read-only. */
  writeUser(addr: bigint, bytes: Uint8Array): boolean {
    if (!this.accessible(addr, BigInt(bytes.length), PROT_WRITE)) return false;
    if (bytes.length) this.backend.write(addr, bytes);
    return true;
  }

  /** strncpy_from_user: a NUL-terminated string of at most max bytes; 'fault' or 'too-long'. */
  readCString(addr: bigint, max: number): string | 'fault' | 'too-long' {
    const parts: Uint8Array[] = [];
    let at = addr;
    let total = 0;
    while (total < max) {
      const n = Number(alignDown(at) + PAGE - at);
      const chunk = this.readUser(at, Math.min(n, max - total));
      if (!chunk) return 'fault';
      const nul = chunk.indexOf(0);
      if (nul >= 0) {
        parts.push(chunk.subarray(0, nul));
        return Buffer.concat(parts).toString('utf8');
      }
      parts.push(chunk);
      total += chunk.length;
      at += BigInt(chunk.length);
    }
    return 'too-long';
  }

  // ---- brk (mm/mmap.c SYSCALL_DEFINE1(brk)) ----

  /** Move the program break; returns the new break, or the old one when it cannot move. */
  brk(request: bigint): bigint {
    if (request < this.brkBase) return this.brkCur;
    const oldEnd = alignUp(this.brkCur);
    const newEnd = alignUp(request);
    if (newEnd > oldEnd) {
      if (newEnd > this.mmapTop || this.overlaps(oldEnd, newEnd)) return this.brkCur;
      if (this.mapped + (newEnd - oldEnd) > this.limit) return this.brkCur;
      this.backend.map(oldEnd, newEnd - oldEnd, PROT_READ | PROT_WRITE);
      this.insert({ start: oldEnd, end: newEnd, prot: PROT_READ | PROT_WRITE, kind: 'heap' });
    } else if (newEnd < oldEnd) {
      this.unmapRange(newEnd, oldEnd);
    }
    this.brkCur = request;
    return request;
  }

  get programBreak(): bigint {
    return this.brkCur;
  }

  /** Where the break started (start_brk). */
  get brkStart(): bigint {
    return this.brkBase;
  }

  // ---- mmap family; each returns an address or a negative errno name ----

  /** Find a free range of `len` bytes, top-down from the mmap base (like Linux's default layout). */
  private findFree(len: bigint): bigint | null {
    let top = this.mmapTop;
    const byEndDown = [...this.maps].sort((a, b) => (a.end > b.end ? -1 : a.end < b.end ? 1 : 0));
    for (const m of byEndDown) {
      if (m.start >= top) continue;
      if (m.end <= top && top - m.end >= len) return top - len;
      if (m.start < top) top = m.start;
    }
    return top - len >= MMAP_MIN_ADDR ? top - len : null;
  }

  /**
   * mmap: anonymous memory, or a view of a file (file set). Returns the address or the
   * errno. `contents` (a copy of bytes placed at the start) serves callers that map a
   * private copy of something that is not a file.
   */
  mmap(
    hint: bigint,
    length: bigint,
    prot: number,
    fixed: 'no' | 'replace' | 'noreplace',
    contents?: Uint8Array,
    file?: FileBacking,
  ): bigint | 'ENOMEM' | 'EINVAL' | 'EEXIST' {
    if (length <= 0n) return 'EINVAL';
    const len = alignUp(length);
    if (len > this.userTop) return 'ENOMEM';
    let addr: bigint;
    if (fixed !== 'no') {
      if (hint % PAGE !== 0n) return 'EINVAL';
      if (hint < MMAP_MIN_ADDR || hint + len > this.userTop) return fixed === 'replace' ? 'EINVAL' : 'ENOMEM';
      if (fixed === 'noreplace' && this.overlaps(hint, hint + len)) return 'EEXIST';
      const freed = this.overlapBytes(hint, hint + len);
      if (this.mapped - freed + len > this.limit) return 'ENOMEM';
      this.unmapRange(hint, hint + len);
      addr = hint;
    } else {
      if (this.mapped + len > this.limit) return 'ENOMEM';
      const h = alignDown(hint);
      if (h >= MMAP_MIN_ADDR && h + len <= this.userTop && !this.overlaps(h, h + len)) addr = h;
      else {
        const found = this.findFree(len);
        if (found === null) return 'ENOMEM';
        addr = found;
      }
    }
    this.backend.map(addr, len, prot);
    this.insert({ start: addr, end: addr + len, prot, kind: 'mmap', ...(file ? { file: { ...file } } : {}) });
    if (contents && contents.length) this.backend.write(addr, contents.subarray(0, Number(len)));
    if (file) {
      file.file.attach(this);
      this.fill(addr, addr + len, file);
    }
    return addr;
  }

  /** Copy the file's bytes into [start, end) of a view of it (up to the file's end; the rest is zero). */
  private fill(start: bigint, end: bigint, f: FileBacking): void {
    const size = BigInt(f.file.size);
    const stop = f.offset + (end - start) < size ? end : start + (size > f.offset ? size - f.offset : 0n);
    for (let at = start; at < stop; at += CHUNK) {
      const n = stop - at < CHUNK ? stop - at : CHUNK;
      this.backend.write(at, f.file.pageIn(Number(f.offset + (at - start)), Number(n)));
    }
  }

  private overlapBytes(start: bigint, end: bigint): bigint {
    let n = 0n;
    for (const m of this.maps) {
      const s = m.start > start ? m.start : start;
      const e = m.end < end ? m.end : end;
      if (e > s) n += e - s;
    }
    return n;
  }

  /**
   * Split the mappings at start and end; each piece inside [start, end) goes through
   * `inside`, which keeps it (changed or not) or drops it (null).
   */
  private rework(start: bigint, end: bigint, inside: (piece: Mapping) => Mapping | null): void {
    const out: Mapping[] = [];
    const dropped = new Set<MappedFile>();
    for (const m of this.maps) {
      if (m.end <= start || m.start >= end) {
        out.push(m);
        continue;
      }
      const s = m.start > start ? m.start : start;
      const e = m.end < end ? m.end : end;
      if (m.start < s) out.push(piece(m, m.start, s));
      const kept = inside(piece(m, s, e));
      if (kept) out.push(kept);
      else if (m.file) dropped.add(m.file.file);
      if (e < m.end) out.push(piece(m, e, m.end));
    }
    this.maps = out;
    this.coalesce();
    for (const f of dropped) if (!this.maps.some((m) => m.file?.file === f)) f.detach(this);
  }

  /** Unmap every mapped page in [start, end), splitting mappings as needed; shared file pages are written back first. */
  private unmapRange(start: bigint, end: bigint): void {
    this.rework(start, end, (p) => {
      if (p.file?.shared) this.writeBack(p, p.start, p.end);
      this.backend.unmap(p.start, p.end - p.start);
      return null;
    });
  }

  /** Store the engine's bytes of [from, to) of a shared file mapping in the file. */
  private writeBack(m: Mapping, from: bigint, to: bigint): void {
    const f = m.file!;
    const size = BigInt(f.file.size);
    for (let at = from; at < to; at += CHUNK) {
      const off = f.offset + (at - m.start);
      if (off >= size) break;
      let n = to - at < CHUNK ? to - at : CHUNK;
      if (off + n > size) n = size - off;
      f.file.writeBack(Number(off), this.backend.read(at, Number(n)));
    }
  }

  munmap(addr: bigint, length: bigint): 0 | 'EINVAL' {
    if (addr % PAGE !== 0n || length <= 0n) return 'EINVAL';
    const end = alignUp(addr + length);
    if (end > this.userTop) return 'EINVAL';
    this.unmapRange(addr, end);
    return 0;
  }

  mprotect(addr: bigint, length: bigint, prot: number): 0 | 'EINVAL' | 'ENOMEM' | 'EACCES' {
    if (addr % PAGE !== 0n) return 'EINVAL';
    if (length === 0n) return 0;
    const end = alignUp(addr + length);
    if (!this.accessible(addr, end - addr, 0)) return 'ENOMEM';
    // A shared view of a file opened read-only never becomes writable (VM_MAYWRITE).
    if (prot & PROT_WRITE && this.maps.some((m) => m.start < end && addr < m.end && m.file?.shared && !m.file.mayWrite)) return 'EACCES';
    this.rework(addr, end, (p) => {
      this.backend.protect(p.start, p.end - p.start, prot);
      return { ...p, prot };
    });
    return 0;
  }

  /** msync: write the shared file pages of [addr, addr+length) back (every flag does; the cache is the file). */
  msync(addr: bigint, length: bigint): 0 | 'ENOMEM' | 'EINVAL' {
    if (addr % PAGE !== 0n) return 'EINVAL';
    const end = alignUp(addr + length);
    if (end < addr || end > this.userTop) return 'ENOMEM';
    if (!this.accessible(addr, end - addr, 0)) return 'ENOMEM';
    for (const m of this.maps) {
      if (m.end <= addr || m.start >= end || !m.file?.shared) continue;
      this.writeBack(m, m.start > addr ? m.start : addr, m.end < end ? m.end : end);
    }
    return 0;
  }

  mremap(old: bigint, oldSize: bigint, newSize: bigint, mayMove: boolean): bigint | 'EINVAL' | 'ENOMEM' | 'EFAULT' {
    if (old % PAGE !== 0n || newSize <= 0n) return 'EINVAL';
    const oldLen = alignUp(oldSize);
    const newLen = alignUp(newSize);
    if (oldLen === 0n) return 'EINVAL'; // duplicating shared mappings is not supported
    const m = this.maps.find((x) => x.start <= old && old + oldLen <= x.end);
    if (!m) return 'EFAULT';
    if (newLen <= oldLen) {
      if (newLen < oldLen) this.unmapRange(old + newLen, old + oldLen);
      return old;
    }
    const grow = newLen - oldLen;
    if (this.mapped + grow > this.limit) return 'ENOMEM';
    const tail = old + oldLen;
    const here = piece(m, old, old + oldLen);
    if (!this.overlaps(tail, tail + newLen - oldLen) && tail + grow <= this.userTop) {
      this.backend.map(tail, grow, m.prot);
      const added = piece({ ...here, end: tail + grow }, tail, tail + grow);
      this.insert(added);
      if (added.file) this.fill(tail, tail + grow, added.file);
      return old;
    }
    if (!mayMove) return 'ENOMEM';
    const dest = this.findFree(newLen);
    if (dest === null) return 'ENOMEM';
    this.backend.map(dest, newLen, m.prot | PROT_READ);
    const moved: Mapping = { ...here, start: dest, end: dest + newLen, kind: m.kind === 'heap' ? 'mmap' : m.kind };
    this.insert(moved);
    for (let off = 0n; off < oldLen; off += CHUNK) {
      const n = oldLen - off < CHUNK ? oldLen - off : CHUNK;
      this.backend.write(dest + off, this.backend.read(old + off, Number(n)));
    }
    if (moved.file) this.fill(dest + oldLen, dest + newLen, piece(moved, dest + oldLen, dest + newLen).file!);
    if ((m.prot & PROT_READ) === 0) this.backend.protect(dest, newLen, m.prot);
    // The old range goes without a write-back: its bytes now live at dest.
    this.rework(old, old + oldLen, (p) => {
      this.backend.unmap(p.start, p.end - p.start);
      return null;
    });
    if (moved.file) moved.file.file.attach(this);
    return dest;
  }

  /**
   * MADV_DONTNEED: private anonymous memory reads as zero afterwards, a private view of a
   * file shows the file again; shared views keep their bytes (they are the file's).
   */
  discard(addr: bigint, length: bigint): 0 | 'EINVAL' | 'ENOMEM' {
    if (addr % PAGE !== 0n) return 'EINVAL';
    const end = alignUp(addr + length);
    if (!this.accessible(addr, end - addr, 0)) return 'ENOMEM';
    for (const m of this.maps) {
      if (m.end <= addr || m.start >= end || (m.kind !== 'heap' && m.kind !== 'mmap') || m.file?.shared) continue;
      const s = m.start > addr ? m.start : addr;
      const e = m.end < end ? m.end : end;
      this.zero(s, e);
      if (m.file) this.fill(s, e, piece(m, s, e).file!);
    }
    return 0;
  }

  private zero(s: bigint, e: bigint): void {
    const zero = new Uint8Array(Number(e - s > CHUNK ? CHUNK : e - s));
    for (let at = s; at < e; at += BigInt(zero.length)) {
      const n = e - at < BigInt(zero.length) ? Number(e - at) : zero.length;
      this.backend.write(at, zero.subarray(0, n));
    }
  }

  // ---- the files mapped here, for the VFS's coherence (see the header) ----

  /** Where [offset, offset+n) of file is mapped in this address space. */
  viewsOf(file: MappedFile, offset: number, n: number): FileView[] {
    const lo = BigInt(offset);
    const hi = lo + BigInt(n);
    const out: FileView[] = [];
    for (const m of this.maps) {
      const f = m.file;
      if (!f || f.file !== file) continue;
      const fEnd = f.offset + (m.end - m.start);
      if (fEnd <= lo || f.offset >= hi) continue;
      out.push({ start: m.start, end: m.end, offset: f.offset, shared: f.shared });
    }
    return out;
  }

  /** Write back the shared pages that show [offset, offset+n) of file (before the file is read). */
  flushFile(file: MappedFile, offset: number, n: number): void {
    for (const v of this.viewsOf(file, offset, n)) {
      if (!v.shared) continue;
      const m = this.maps.find((x) => x.start === v.start)!;
      const from = v.start + (BigInt(offset) > v.offset ? BigInt(offset) - v.offset : 0n);
      const to = v.end < v.start + (BigInt(offset + n) - v.offset) ? v.end : v.start + (BigInt(offset + n) - v.offset);
      if (to > from) this.writeBack(m, from, to);
    }
  }

  /**
   * The file's bytes [offset, offset+before.length) changed from `before` to `after`
   * (a write() or truncate): shared views show the new bytes; a private view page still
   * holding exactly the old bytes (never written by the process) shows them too.
   */
  fileChanged(file: MappedFile, offset: number, before: Uint8Array, after: Uint8Array): void {
    for (const v of this.viewsOf(file, offset, after.length)) {
      const lo = BigInt(offset) > v.offset ? BigInt(offset) : v.offset;
      const viewEnd = v.offset + (v.end - v.start);
      const hi = BigInt(offset + after.length) < viewEnd ? BigInt(offset + after.length) : viewEnd;
      if (v.shared) {
        this.backend.write(v.start + (lo - v.offset), after.subarray(Number(lo) - offset, Number(hi) - offset));
        continue;
      }
      // Page by page: only pages the process has not written (still the file's old bytes).
      for (let p = alignDown(lo - v.offset) + v.offset; p < hi; p += PAGE) {
        const a = p > lo ? p : lo;
        const b = p + PAGE < hi ? p + PAGE : hi;
        const pageFrom = p;
        const pageTo = p + PAGE < viewEnd ? p + PAGE : viewEnd;
        const addr = v.start + (pageFrom - v.offset);
        const now = this.backend.read(addr, Number(pageTo - pageFrom));
        const old = file.pageIn(Number(pageFrom), Number(pageTo - pageFrom));
        // `old` is the file after the change: put the changed range back to its old bytes to compare.
        old.set(before.subarray(Number(a) - offset, Number(b) - offset), Number(a - pageFrom));
        if (Buffer.compare(now, old) === 0) this.backend.write(v.start + (a - v.offset), after.subarray(Number(a) - offset, Number(b) - offset));
      }
    }
  }

  /** Write back every shared file page (before --fs-out reads the files). */
  flushAll(): void {
    for (const m of this.maps) if (m.file?.shared) this.writeBack(m, m.start, m.end);
  }
}

export function formatBytes(n: bigint): string {
  if (n % (1n << 30n) === 0n) return `${n >> 30n} GiB`;
  if (n % (1n << 20n) === 0n) return `${n >> 20n} MiB`;
  if (n % (1n << 10n) === 0n) return `${n >> 10n} KiB`;
  return `${n} bytes`;
}

/** Parse a --mem-limit value: bytes, or a number with K/M/G (binary units), e.g. 512M, 2G. */
export function parseSize(text: string): bigint | null {
  const m = /^(\d+)\s*([kmg]i?b?)?$/i.exec(text.trim());
  if (!m) return null;
  const unit = (m[2] ?? '').charAt(0).toLowerCase();
  const shift = unit === 'k' ? 10n : unit === 'm' ? 20n : unit === 'g' ? 30n : 0n;
  return BigInt(m[1]!) << shift;
}
