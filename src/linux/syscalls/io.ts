// System calls on descriptors: read and write in their forms, close, lseek, the
// descriptor-table calls (dup, dup2, dup3, fcntl) and ioctl. What a read or write does is
// the open file's business (src/linux/files/); these check the arguments and move bytes
// between guest memory and the file.

import type { Errno } from '../errno.js';
import { MAX_FDS } from '../fdtable.js';
import { isBlock } from '../files/file.js';
import type { LinuxKernel } from '../kernel.js';
import { PROT_WRITE } from '../mm.js';
import { fdRet, MAX_IO, type HandlerTable, type Ret } from './types.js';

const O_CLOEXEC = 0o2000000;
const F_DUPFD = 0;
const F_GETFD = 1;
const F_SETFD = 2;
const F_GETFL = 3;
const F_SETFL = 4;
const F_DUPFD_CLOEXEC = 1030;
const FD_CLOEXEC = 1n;

const clampIo = (len: bigint): number => Number(len > BigInt(MAX_IO) ? BigInt(MAX_IO) : len);

function readInto(k: LinuxKernel, fd: number, buf: bigint, len: bigint, at: number | null): Ret {
  const f = k.file(fd);
  if (!f || !f.readable) return 'EBADF';
  const n = clampIo(len);
  if (n === 0) return 0n;
  if (!k.mem.accessible(buf, BigInt(n), PROT_WRITE)) return 'EFAULT';
  const data = f.read(n, at);
  if (typeof data === 'string' || isBlock(data)) return data;
  return k.put(buf, data) ? BigInt(data.length) : 'EFAULT';
}

function writeFrom(k: LinuxKernel, fd: number, data: Uint8Array, at: number | null): Ret {
  const f = k.file(fd);
  if (!f) return 'EBADF';
  const r = f.write(data, at);
  return typeof r === 'number' ? BigInt(r) : r;
}

/** struct iovec arrays: (base, len) pairs of pointer size. */
function iovecs(k: LinuxKernel, iov: bigint, count: number): { base: bigint; len: bigint }[] | Errno {
  if (count < 0 || count > 1024) return 'EINVAL'; // UIO_MAXIOV
  const raw = k.mem.readUser(iov, count * 2 * k.ptr);
  if (!raw) return 'EFAULT';
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
  const get = (i: number) => (k.ptr === 8 ? dv.getBigUint64(i * 8, true) : BigInt(dv.getUint32(i * 4, true)));
  return Array.from({ length: count }, (_, i) => ({ base: get(2 * i), len: get(2 * i + 1) }));
}

function dup2(k: LinuxKernel, from: number, to: number, cloexec: boolean, isDup3: boolean): Ret {
  const f = k.file(from);
  if (!f) return 'EBADF';
  if (to < 0 || to >= MAX_FDS) return 'EBADF';
  if (from === to) return isDup3 ? 'EINVAL' : BigInt(to);
  k.fds.set(to, f, cloexec);
  return BigInt(to);
}

export const ioCalls: HandlerTable = {
  read: (k, a) => readInto(k, k.int(a[0]!), a[1]!, a[2]!, null),
  pread64: (k, a) => (k.signed(a[3]!) < 0n ? 'EINVAL' : readInto(k, k.int(a[0]!), a[1]!, a[2]!, Number(a[3]!))),
  readv: (k, a) => {
    const v = iovecs(k, a[1]!, k.int(a[2]!));
    if (typeof v === 'string') return v;
    let total = 0n;
    for (const { base, len } of v) {
      const r = readInto(k, k.int(a[0]!), base, len, null);
      if (typeof r !== 'bigint') return total > 0n ? total : r;
      total += r;
      if (r < len) break;
    }
    return total;
  },
  write: (k, a) => {
    if (!k.file(k.int(a[0]!))?.writable) return 'EBADF';
    const data = k.mem.readUser(a[1]!, clampIo(a[2]!));
    return data ? writeFrom(k, k.int(a[0]!), data, null) : 'EFAULT';
  },
  writev: (k, a) => {
    const v = iovecs(k, a[1]!, k.int(a[2]!));
    if (typeof v === 'string') return v;
    if (!k.file(k.int(a[0]!))?.writable) return 'EBADF';
    const parts: Uint8Array[] = [];
    for (const { base, len } of v) {
      const d = k.mem.readUser(base, clampIo(len));
      if (!d) return 'EFAULT';
      parts.push(d);
    }
    return writeFrom(k, k.int(a[0]!), Buffer.concat(parts), null);
  },
  // ksys_pwrite64's order: the position, the descriptor, whether it can seek, then the mode.
  pwrite64: (k, a) => {
    if (k.signed(a[3]!) < 0n) return 'EINVAL';
    const f = k.file(k.int(a[0]!));
    if (!f) return 'EBADF';
    if (f.seekSize() === null) return 'ESPIPE';
    if (!f.writable) return 'EBADF';
    const data = k.mem.readUser(a[1]!, clampIo(a[2]!));
    return data ? writeFrom(k, k.int(a[0]!), data, Number(a[3]!)) : 'EFAULT';
  },
  close: (k, a) => (k.fds.close(k.int(a[0]!)) ? 0n : 'EBADF'),
  lseek: (k, a) => {
    const f = k.file(k.int(a[0]!));
    if (!f) return 'EBADF';
    const size = f.seekSize();
    if (size === null) return 'ESPIPE';
    const off = k.signed(a[1]!);
    const whence = k.int(a[2]!);
    const base = whence === 0 ? 0n : whence === 1 ? BigInt(f.offset) : whence === 2 ? BigInt(size) : null;
    if (base === null) return 'EINVAL';
    const to = base + off;
    if (to < 0n || to > BigInt(Number.MAX_SAFE_INTEGER)) return 'EINVAL';
    f.offset = Number(to);
    return to;
  },
  ioctl: (k, a) => {
    const f = k.file(k.int(a[0]!));
    if (!f) return 'EBADF';
    const out = f.ioctl(Number(a[1]! & 0xffffffffn));
    if (typeof out === 'string') return out;
    return k.put(a[2]!, out) ? 0n : 'EFAULT';
  },
  fcntl: (k, a) => {
    const d = k.fds.get(k.int(a[0]!));
    if (!d) return 'EBADF';
    const cmd = k.int(a[1]!);
    switch (cmd) {
      case F_DUPFD:
      case F_DUPFD_CLOEXEC: {
        const from = k.int(a[2]!);
        return from < 0 || from >= MAX_FDS ? 'EINVAL' : fdRet(k.fds.alloc(d.file, cmd === F_DUPFD_CLOEXEC, from));
      }
      case F_GETFD:
        return d.cloexec ? FD_CLOEXEC : 0n;
      case F_SETFD:
        d.cloexec = (a[2]! & FD_CLOEXEC) !== 0n;
        return 0n;
      case F_GETFL:
        return BigInt(d.file.flags);
      case F_SETFL:
        return 0n;
      default:
        return 'EINVAL';
    }
  },
  dup: (k, a) => {
    const f = k.file(k.int(a[0]!));
    return f ? fdRet(k.fds.alloc(f, false)) : 'EBADF';
  },
  dup3: (k, a) => dup2(k, k.int(a[0]!), k.int(a[1]!), (k.int(a[2]!) & O_CLOEXEC) !== 0, true),
  dup2: (k, a) => dup2(k, k.int(a[0]!), k.int(a[1]!), false, false),
};
