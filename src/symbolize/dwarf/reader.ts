// Bounds-checked little-endian reader over one DWARF section.
//
// Every read checks the current limit (the section end, or a unit/program end set with
// `sub`) and throws a DwarfError naming the section and the byte offset inside it, so a
// caller can wrap one whole unit or line program in a try and keep what was valid.
// Encodings: DWARF 5 §7.6 (LEB128), §7.4 (32- and 64-bit DWARF formats).

export class DwarfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DwarfError';
  }
}

/** One loaded (and if needed decompressed) debug section. */
export interface DwarfSection {
  name: string;
  data: Uint8Array;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

export function hexOff(n: number): string {
  return '0x' + n.toString(16);
}

export class Reader {
  readonly sec: DwarfSection;
  private readonly dv: DataView;
  pos: number;
  /** Exclusive end of the readable window. */
  end: number;

  constructor(sec: DwarfSection, pos = 0, end = sec.data.length) {
    this.sec = sec;
    this.dv = new DataView(sec.data.buffer, sec.data.byteOffset, sec.data.byteLength);
    this.pos = pos;
    this.end = Math.min(end, sec.data.length);
  }

  /** A DwarfError "<section>+0x<off>: msg". */
  error(msg: string, at = this.pos): DwarfError {
    return new DwarfError(`${this.sec.name}+${hexOff(at)}: ${msg}`);
  }

  /** A reader over [pos, pos+len) that shares the section; fails if the window leaves this one. */
  sub(len: number, what: string): Reader {
    if (len < 0 || this.pos + len > this.end) {
      throw this.error(`${what} of ${hexOff(len)} bytes extends past the end (${hexOff(this.end)})`);
    }
    return new Reader(this.sec, this.pos, this.pos + len);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  private need(n: number, what: string): number {
    const at = this.pos;
    if (at + n > this.end) throw this.error(`truncated ${what} (need ${n} bytes, ${Math.max(0, this.end - at)} left)`);
    this.pos = at + n;
    return at;
  }

  skip(n: number, what = 'data'): void {
    if (n < 0 || !Number.isFinite(n)) throw this.error(`bad length ${n} for ${what}`);
    this.need(n, what);
  }

  u8(): number {
    return this.dv.getUint8(this.need(1, 'u8'));
  }
  i8(): number {
    return this.dv.getInt8(this.need(1, 'i8'));
  }
  u16(): number {
    return this.dv.getUint16(this.need(2, 'u16'), true);
  }
  u24(): number {
    const at = this.need(3, 'u24');
    return this.dv.getUint16(at, true) | (this.dv.getUint8(at + 2) << 16);
  }
  u32(): number {
    return this.dv.getUint32(this.need(4, 'u32'), true);
  }
  u64(): bigint {
    return this.dv.getBigUint64(this.need(8, 'u64'), true);
  }
  /** u64 as a number (exact below 2^53; offsets and lengths beyond that are out of range anyway). */
  u64n(): number {
    return Number(this.u64());
  }

  /** An address of `size` bytes (§7.5.1.1 address_size). */
  addr(size: number): bigint {
    switch (size) {
      case 8: return this.u64();
      case 4: return BigInt(this.u32());
      case 2: return BigInt(this.u16());
      case 1: return BigInt(this.u8());
      default: throw this.error(`unsupported address size ${size}`);
    }
  }

  /** A section offset: 4 bytes in 32-bit DWARF, 8 in 64-bit DWARF (§7.4). */
  offset(offsetSize: 4 | 8): number {
    return offsetSize === 8 ? this.u64n() : this.u32();
  }

  /** An unsigned LEB128 as a number (values beyond 2^53 lose precision; the loop is bounded). */
  uleb(): number {
    let result = 0;
    let mul = 1;
    const start = this.pos;
    for (;;) {
      if (this.pos >= this.end) throw this.error('truncated LEB128', start);
      const b = this.sec.data[this.pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
  }

  /** An unsigned LEB128 as an exact bigint (for addresses). */
  ulebBig(): bigint {
    let result = 0n;
    let shift = 0n;
    const start = this.pos;
    for (;;) {
      if (this.pos >= this.end) throw this.error('truncated LEB128', start);
      const b = this.sec.data[this.pos++]!;
      if (shift < 64n) result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) return result & 0xffff_ffff_ffff_ffffn;
    }
  }

  /** A signed LEB128 as a number. */
  sleb(): number {
    let result = 0;
    let mul = 1;
    let b: number;
    const start = this.pos;
    do {
      if (this.pos >= this.end) throw this.error('truncated LEB128', start);
      b = this.sec.data[this.pos++]!;
      result += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80);
    if (b & 0x40) result -= mul;
    return result;
  }

  /** A signed LEB128 as an exact bigint. */
  slebBig(): bigint {
    let result = 0n;
    let shift = 0n;
    let b: number;
    const start = this.pos;
    do {
      if (this.pos >= this.end) throw this.error('truncated LEB128', start);
      b = this.sec.data[this.pos++]!;
      if (shift < 70n) result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
    } while (b & 0x80);
    if (b & 0x40 && shift < 70n) result -= 1n << shift;
    return result;
  }

  /** Skip a LEB128 without decoding it. */
  skipLeb(): void {
    const start = this.pos;
    for (;;) {
      if (this.pos >= this.end) throw this.error('truncated LEB128', start);
      if ((this.sec.data[this.pos++]! & 0x80) === 0) return;
    }
  }

  /** Position of the NUL ending the string at pos (bounded by the window). */
  private nul(): number {
    const i = this.sec.data.indexOf(0, this.pos);
    if (i < 0 || i >= this.end) throw this.error('unterminated string');
    return i;
  }

  cstr(): string {
    const i = this.nul();
    const s = utf8.decode(this.sec.data.subarray(this.pos, i));
    this.pos = i + 1;
    return s;
  }

  skipCstr(): void {
    this.pos = this.nul() + 1;
  }

  bytes(n: number): Uint8Array {
    const at = this.need(n, 'block');
    return this.sec.data.subarray(at, at + n);
  }

  /**
   * An initial length (§7.4, §7.2.2): returns the length and the offset size it implies.
   * 0xffffffff introduces 64-bit DWARF; 0xfffffff0..0xfffffffe are reserved.
   */
  initialLength(): { length: number; offsetSize: 4 | 8 } {
    const at = this.pos;
    const l = this.u32();
    if (l < 0xfffffff0) return { length: l, offsetSize: 4 };
    if (l === 0xffffffff) return { length: this.u64n(), offsetSize: 8 };
    throw this.error(`reserved unit length ${hexOff(l)}`, at);
  }
}

/** A NUL-terminated string at `off` inside a string section (.debug_str, .debug_line_str). */
export function strAt(sec: DwarfSection | undefined, off: number, what: string): string {
  if (!sec) throw new DwarfError(`${what}: no ${what} section for string at offset ${hexOff(off)}`);
  if (off < 0 || off >= sec.data.length) throw new DwarfError(`${sec.name}+${hexOff(off)}: string offset past the end (${hexOff(sec.data.length)})`);
  return new Reader(sec, off).cstr();
}
