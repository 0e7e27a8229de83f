// The guest's address space as the Linux kernel would keep it (mm/mmap.c, mm/mprotect.c,
// mm/mremap.c semantics, page granular): the ELF image, the stack, the brk heap and
// anonymous or file-copy mmaps, each with its own permissions, all inside one memory
// limit (--mem-limit). The engine holds the bytes; this map is the authority on what is
// mapped and with which permissions, so the syscall layer can give EFAULT for a bad
// pointer instead of reading or writing through it (the engine itself ignores guest
// permissions on host-side reads and writes).

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
      if (last && last.end === m.start && last.prot === m.prot && last.kind === m.kind) last.end = m.end;
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

  mmap(hint: bigint, length: bigint, prot: number, fixed: 'no' | 'replace' | 'noreplace', contents?: Uint8Array): bigint | 'ENOMEM' | 'EINVAL' | 'EEXIST' {
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
    this.insert({ start: addr, end: addr + len, prot, kind: 'mmap' });
    if (contents && contents.length) this.backend.write(addr, contents.subarray(0, Number(len)));
    return addr;
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
    for (const m of this.maps) {
      if (m.end <= start || m.start >= end) {
        out.push(m);
        continue;
      }
      const s = m.start > start ? m.start : start;
      const e = m.end < end ? m.end : end;
      if (m.start < s) out.push({ ...m, end: s });
      const kept = inside({ ...m, start: s, end: e });
      if (kept) out.push(kept);
      if (e < m.end) out.push({ ...m, start: e });
    }
    this.maps = out;
    this.coalesce();
  }

  /** Unmap every mapped page in [start, end), splitting mappings as needed. */
  private unmapRange(start: bigint, end: bigint): void {
    this.rework(start, end, (p) => {
      this.backend.unmap(p.start, p.end - p.start);
      return null;
    });
  }

  munmap(addr: bigint, length: bigint): 0 | 'EINVAL' {
    if (addr % PAGE !== 0n || length <= 0n) return 'EINVAL';
    const end = alignUp(addr + length);
    if (end > this.userTop) return 'EINVAL';
    this.unmapRange(addr, end);
    return 0;
  }

  mprotect(addr: bigint, length: bigint, prot: number): 0 | 'EINVAL' | 'ENOMEM' {
    if (addr % PAGE !== 0n) return 'EINVAL';
    if (length === 0n) return 0;
    const end = alignUp(addr + length);
    if (!this.accessible(addr, end - addr, 0)) return 'ENOMEM';
    this.rework(addr, end, (p) => {
      this.backend.protect(p.start, p.end - p.start, prot);
      return { ...p, prot };
    });
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
    if (!this.overlaps(tail, tail + newLen - oldLen) && tail + grow <= this.userTop) {
      this.backend.map(tail, grow, m.prot);
      this.insert({ start: tail, end: tail + grow, prot: m.prot, kind: m.kind });
      return old;
    }
    if (!mayMove) return 'ENOMEM';
    const dest = this.findFree(newLen);
    if (dest === null) return 'ENOMEM';
    this.backend.map(dest, newLen, m.prot | PROT_READ);
    this.insert({ start: dest, end: dest + newLen, prot: m.prot, kind: 'mmap' });
    const CHUNK = 1n << 20n;
    for (let off = 0n; off < oldLen; off += CHUNK) {
      const n = oldLen - off < CHUNK ? oldLen - off : CHUNK;
      this.backend.write(dest + off, this.backend.read(old + off, Number(n)));
    }
    if ((m.prot & PROT_READ) === 0) this.backend.protect(dest, newLen, m.prot);
    this.unmapRange(old, old + oldLen);
    return dest;
  }

  /** MADV_DONTNEED on private anonymous memory: the pages read as zero afterwards. */
  discard(addr: bigint, length: bigint): 0 | 'EINVAL' | 'ENOMEM' {
    if (addr % PAGE !== 0n) return 'EINVAL';
    const end = alignUp(addr + length);
    if (!this.accessible(addr, end - addr, 0)) return 'ENOMEM';
    for (const m of this.maps) {
      if (m.end <= addr || m.start >= end || (m.kind !== 'heap' && m.kind !== 'mmap')) continue;
      const s = m.start > addr ? m.start : addr;
      const e = m.end < end ? m.end : end;
      const zero = new Uint8Array(Number(e - s > 1n << 20n ? 1n << 20n : e - s));
      for (let at = s; at < e; at += BigInt(zero.length)) {
        const n = e - at < BigInt(zero.length) ? Number(e - at) : zero.length;
        this.backend.write(at, zero.subarray(0, n));
      }
    }
    return 0;
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
