// The kernel structures the syscall layer writes into guest memory, laid out per the UAPI
// headers: struct stat (asm-generic/stat.h; x86-64's arch/x86/include/uapi/asm/stat.h),
// struct statx (linux/stat.h), struct utsname (linux/utsname.h, 6 x 65 bytes), struct
// timespec/timeval, struct rlimit64, struct termios (asm-generic/termbits.h, 36 bytes).

/** A little-endian byte buffer with typed field writers. */
export class Struct {
  readonly bytes: Uint8Array;
  private readonly dv: DataView;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.dv = new DataView(this.bytes.buffer);
  }
  u8(off: number, v: number): this {
    this.dv.setUint8(off, v);
    return this;
  }
  u16(off: number, v: number): this {
    this.dv.setUint16(off, v, true);
    return this;
  }
  u32(off: number, v: number | bigint): this {
    this.dv.setUint32(off, Number(BigInt.asUintN(32, BigInt(v))), true);
    return this;
  }
  u64(off: number, v: number | bigint): this {
    this.dv.setBigUint64(off, BigInt.asUintN(64, BigInt(v)), true);
    return this;
  }
  ptr(off: number, v: bigint, size: 4 | 8): this {
    return size === 8 ? this.u64(off, v) : this.u32(off, v);
  }
  str(off: number, s: string, max: number): this {
    const b = new TextEncoder().encode(s).subarray(0, max - 1);
    this.bytes.set(b, off);
    return this;
  }
}

export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

export interface StatInfo {
  dev: bigint;
  ino: bigint;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: bigint;
  size: bigint;
  blksize: number;
  blocks: bigint;
  /** Seconds and nanoseconds for atime, mtime and ctime alike, unless given apart below. */
  time: { sec: bigint; nsec: number };
  atime?: { sec: bigint; nsec: number };
  mtime?: { sec: bigint; nsec: number };
  ctime?: { sec: bigint; nsec: number };
}

/** atime, mtime and ctime of a stat (each defaulting to time). */
function times(s: StatInfo): { sec: bigint; nsec: number }[] {
  return [s.atime ?? s.time, s.mtime ?? s.time, s.ctime ?? s.time];
}

export function encodeStat(s: StatInfo, layout: 'generic' | 'x86-64'): Uint8Array {
  if (layout === 'x86-64') {
    const b = new Struct(144)
      .u64(0, s.dev).u64(8, s.ino).u64(16, s.nlink).u32(24, s.mode).u32(28, s.uid).u32(32, s.gid)
      .u64(40, s.rdev).u64(48, s.size).u64(56, s.blksize).u64(64, s.blocks);
    times(s).forEach((t, i) => b.u64(72 + 16 * i, t.sec).u64(80 + 16 * i, t.nsec));
    return b.bytes;
  }
  const b = new Struct(128)
    .u64(0, s.dev).u64(8, s.ino).u32(16, s.mode).u32(20, s.nlink).u32(24, s.uid).u32(28, s.gid)
    .u64(32, s.rdev).u64(48, s.size).u32(56, s.blksize).u64(64, s.blocks);
  times(s).forEach((t, i) => b.u64(72 + 16 * i, t.sec).u64(80 + 16 * i, t.nsec));
  return b.bytes;
}

/** struct statx with STATX_BASIC_STATS (0x7ff) filled in. */
export function encodeStatx(s: StatInfo): Uint8Array {
  const b = new Struct(256)
    .u32(0, 0x7ff).u32(4, s.blksize).u32(16, s.nlink).u32(20, s.uid).u32(24, s.gid).u16(28, s.mode)
    .u64(32, s.ino).u64(40, s.size).u64(48, s.blocks)
    .u32(128, Number(s.rdev >> 8n) & 0xfff).u32(132, Number(s.rdev & 0xffn))
    .u32(136, Number(s.dev >> 8n) & 0xfff).u32(140, Number(s.dev & 0xffn));
  // stx_atime, stx_btime (not in the mask; the ctime), stx_ctime, stx_mtime.
  const [a, m, c] = times(s);
  [a!, c!, c!, m!].forEach((t, i) => b.u64(64 + 16 * i, t.sec).u32(72 + 16 * i, t.nsec));
  return b.bytes;
}

export function encodeUtsname(f: { sysname: string; nodename: string; release: string; version: string; machine: string; domainname: string }): Uint8Array {
  const b = new Struct(6 * 65);
  [f.sysname, f.nodename, f.release, f.version, f.machine, f.domainname].forEach((v, i) => b.str(i * 65, v, 65));
  return b.bytes;
}

/** struct timespec / timeval: two longs. */
export function encodePair(a: bigint, b: bigint, ptr: 4 | 8): Uint8Array {
  return new Struct(2 * ptr).ptr(0, a, ptr).ptr(ptr, b, ptr).bytes;
}

export function encodeRlimit(cur: bigint, max: bigint): Uint8Array {
  return new Struct(16).u64(0, cur).u64(8, max).bytes;
}

/** A terminal's termios as a fresh Linux tty sets it (ICRNL|IXON, OPOST|ONLCR, B38400|CS8|CREAD|HUPCL, ISIG|ICANON|ECHO...). */
export function encodeTermios(): Uint8Array {
  return new Struct(36).u32(0, 0x500).u32(4, 0x5).u32(8, 0xbf).u32(12, 0x8a3b).bytes;
}
