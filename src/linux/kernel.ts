// The Linux system-call layer: what a statically linked glibc or musl program asks of the
// kernel, answered the way Linux would answer it, deterministically. Numbers come from the
// arch's own table (src/linux/syscall-table.ts); handlers are by name, so one handler
// serves every arch. Every pointer the guest passes is checked against the address space
// (EFAULT, never a host access through it); files come only from the --fs sandbox;
// time, ids and random bytes are virtual and fixed, so two runs give the same bytes.
//
// An unknown call returns -ENOSYS and is reported by name and number; with --strict it
// ends the run as SIGSYS. A signal the program sends itself (raise, abort, a failed
// assert) ends the run as that signal at the syscall, unless it is blocked (pending
// until unblocked) or ignored; crashlab does not run guest signal handlers, so a caught
// signal ends the run too, and the report says the handler was not run.

import { readSync } from 'node:fs';
import { isatty } from 'node:tty';
import type { Arch } from '../arch/index.js';
import { DEFAULT_IGNORED, signalByNumber, type Signal } from '../arch/signals.js';
import { ERRNO, type Errno } from './errno.js';
import { Sandbox, type FsError, type FsNode, type RunInputs } from './fs.js';
import { PAGE, PROT_WRITE, type AddressSpace } from './mm.js';
import {
  S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, Struct, encodePair, encodeRlimit, encodeStat, encodeStatx, encodeTermios, encodeUtsname, type StatInfo,
} from './structs.js';

/** Fixed identities: the same on every run and host. */
export const GUEST_PID = 1000;
export const GUEST_UID = 1000;
export const GUEST_GID = 1000;
/** The virtual clock starts at 2024-01-01T00:00:00Z and moves 1 µs per clock read. */
export const CLOCK_EPOCH_SEC = 1_704_067_200n;
const CLOCK_TICK_NS = 1000n;

export interface KernelHost {
  arch: Arch;
  reg(id: number): bigint;
  setReg(id: number, v: bigint): void;
  mem: AddressSpace;
  output(fd: 1 | 2, data: Uint8Array): void;
}

export interface KernelOptions {
  /** Directory the guest sees as "/" (read-only); null: no files at all. */
  fsRoot: string | null;
  /** Unknown system calls stop the run (SIGSYS) instead of returning -ENOSYS. */
  strict: boolean;
  /** What readlink("/proc/self/exe") and AT_EXECFN give. */
  exePath: string;
  inputs: RunInputs;
  /** Told once per unsupported system call name. */
  warn?: (msg: string) => void;
}

export type SyscallOutcome =
  | { kind: 'continue' }
  | { kind: 'exit'; code: number }
  /**
   * The run ends as a signal: one the program sent itself is delivered, as Linux delivers
   * it, when the system call returns (pc after the instruction: 'after'); the --strict stop
   * is at the system-call instruction itself ('at').
   */
  | { kind: 'signal'; signal: Signal; reason: string; pc: 'at' | 'after' }
  /** The call would block forever (one thread waiting on itself). */
  | { kind: 'hang'; reason: string };

export interface UnsupportedCall {
  name: string;
  number: number;
  count: number;
}

/** An open file description: what dup'ed descriptors share, offset included (open(2)). */
type OpenFile =
  | { kind: 'std'; fd: 0 | 1 | 2 }
  | { kind: 'file'; node: FsNode; data: Uint8Array; offset: number }
  | { kind: 'dir'; node: FsNode; offset: number };

/** A descriptor: the description it refers to and its own close-on-exec flag. */
interface Fd {
  file: OpenFile;
  cloexec: boolean;
}

type Ret = bigint | Errno | SyscallOutcome;
type Handler = (k: LinuxKernel, a: readonly bigint[]) => Ret;

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_EMPTY_PATH = 0x1000;
const O_ACCMODE = 3;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const O_CLOEXEC = 0o2000000;
const MAP_SHARED = 1;
const MAP_PRIVATE = 2;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MAP_FIXED_NOREPLACE = 0x100000;
const PATH_MAX = 4096;
/** Most bytes one read or write moves (Linux caps at MAX_RW_COUNT, about 2 GiB; this is ample). */
const MAX_IO = 1 << 24;

export class LinuxKernel {
  private readonly fds = new Map<number, Fd>();
  private readonly sandbox: Sandbox;
  private clockNs = 0n;
  private readonly rng = new Uint32Array([0x9e3779b9, 0x243f6a88, 0xb7e15162, 0x13198a2e]);
  private readonly actions = new Map<number, { handler: bigint; raw: Uint8Array }>();
  private blocked = 0n;
  private pending = 0n;
  private stdinIndex = 0;
  readonly unsupported = new Map<string, UnsupportedCall>();
  private readonly names: Map<number, string>;
  readonly ptr: 4 | 8;

  constructor(
    readonly host: KernelHost,
    readonly opts: KernelOptions,
  ) {
    this.sandbox = new Sandbox(opts.fsRoot, opts.inputs);
    for (const fd of [0, 1, 2] as const) this.fds.set(fd, { file: { kind: 'std', fd }, cloexec: false });
    this.names = new Map(Object.entries(host.arch.syscall.numbers).map(([k, v]) => [v, k]));
    this.ptr = host.arch.ptrSize;
    if (!opts.inputs.replaying) opts.inputs.tty = { 0: isatty(0), 1: isatty(1), 2: isatty(2) };
  }

  get mem(): AddressSpace {
    return this.host.mem;
  }

  /** Handle the system call in the guest's registers; the result register is set here. */
  syscall(): SyscallOutcome {
    const abi = this.host.arch.syscall;
    const nr = Number(BigInt.asIntN(32, this.host.reg(abi.numberReg)));
    const args = abi.argRegs.map((r) => this.host.reg(r));
    const name = this.names.get(nr);
    const handler = name === undefined ? undefined : HANDLERS[name];
    if (!handler) return this.unknown(name, nr);
    const r = handler(this, args);
    if (typeof r === 'bigint') this.ret(r);
    else if (typeof r === 'string') this.ret(-BigInt(ERRNO[r]));
    else return r;
    return { kind: 'continue' };
  }

  private ret(v: bigint): void {
    this.host.setReg(this.host.arch.syscall.retReg, BigInt.asUintN(this.ptr * 8, v));
  }

  private unknown(name: string | undefined, nr: number): SyscallOutcome {
    const label = `${name ?? 'unknown'} (${nr})`;
    if (this.opts.strict) return { kind: 'signal', signal: 'SIGSYS', reason: `unsupported system call ${label} (--strict)`, pc: 'at' };
    const seen = this.unsupported.get(label);
    if (seen) seen.count++;
    else {
      this.unsupported.set(label, { name: name ?? 'unknown', number: nr, count: 1 });
      this.opts.warn?.(`guest called unsupported system call ${label}; it returned -ENOSYS`);
    }
    this.ret(-BigInt(ERRNO.ENOSYS));
    return { kind: 'continue' };
  }

  // ---- helpers shared by handlers ----

  int(v: bigint): number {
    return Number(BigInt.asIntN(32, v));
  }

  signed(v: bigint): bigint {
    return BigInt.asIntN(this.ptr * 8, v);
  }

  put(addr: bigint, bytes: Uint8Array): boolean {
    return this.mem.writeUser(addr, bytes);
  }

  path(addr: bigint): string | Errno {
    const s = this.mem.readCString(addr, PATH_MAX);
    if (s === 'fault') return 'EFAULT';
    if (s === 'too-long') return 'ENAMETOOLONG';
    return s;
  }

  now(): bigint {
    this.clockNs += CLOCK_TICK_NS;
    return this.clockNs;
  }

  advance(ns: bigint): void {
    if (ns > 0n) this.clockNs += ns;
  }

  randomBytes(n: number): Uint8Array {
    // xoshiro128** from a fixed seed: the same "random" bytes on every run.
    const out = new Uint8Array(n);
    const st = this.rng;
    for (let i = 0; i < n; i += 4) {
      const r = Math.imul(rotl(Math.imul(st[1]!, 5), 7), 9) >>> 0;
      const t = (st[1]! << 9) >>> 0;
      st[2]! ^= st[0]!;
      st[3]! ^= st[1]!;
      st[1]! ^= st[2]!;
      st[0]! ^= st[3]!;
      st[2]! ^= t;
      st[3] = rotl(st[3]!, 11);
      for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (r >>> (8 * j)) & 0xff;
    }
    return out;
  }

  file(fd: number): OpenFile | undefined {
    return this.fds.get(fd)?.file;
  }

  descriptor(fd: number): Fd | undefined {
    return this.fds.get(fd);
  }

  /** The lowest free descriptor at or above `from` for the description. */
  newFd(file: OpenFile, cloexec: boolean, from = 0): number | Errno {
    for (let fd = Math.max(0, from); fd < 1024; fd++) {
      if (!this.fds.has(fd)) {
        this.fds.set(fd, { file, cloexec });
        return fd;
      }
    }
    return 'EMFILE';
  }

  closeFd(fd: number): boolean {
    return this.fds.delete(fd);
  }

  setFd(fd: number, file: OpenFile, cloexec: boolean): void {
    this.fds.set(fd, { file, cloexec });
  }

  /** Resolve a path relative to dirfd the way the *at() calls do. */
  lookup(dirfd: number, path: string, follow: boolean): FsNode | Errno | FsError {
    if (path === '') return 'ENOENT';
    let base = '/';
    if (!path.startsWith('/') && dirfd !== AT_FDCWD) {
      const d = this.file(dirfd);
      if (!d) return 'EBADF';
      if (d.kind !== 'dir') return 'ENOTDIR';
      base = d.node.guestPath;
    }
    return this.sandbox.resolve(path, base, follow);
  }

  sandboxed(): Sandbox {
    return this.sandbox;
  }

  readStdin(max: number): Uint8Array | Errno {
    const inputs = this.opts.inputs;
    if (inputs.replaying) {
      const rec = inputs.stdin[this.stdinIndex++];
      return rec ?? new Uint8Array(0);
    }
    const buf = Buffer.alloc(Math.min(max, 1 << 16));
    for (;;) {
      try {
        const n = readSync(0, buf, 0, buf.length, null);
        const data = new Uint8Array(buf.subarray(0, n));
        inputs.stdin.push(data);
        this.stdinIndex++;
        return data;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
          continue;
        }
        if (code === 'EOF') return new Uint8Array(0);
        const err = code === 'EBADF' ? 'EBADF' : 'EIO';
        inputs.stdin.push(err);
        this.stdinIndex++;
        return err;
      }
    }
  }

  statOf(f: OpenFile | FsNode): StatInfo {
    const time = { sec: CLOCK_EPOCH_SEC, nsec: 0 };
    const base = { dev: 0x803n, nlink: 1, uid: GUEST_UID, gid: GUEST_GID, rdev: 0n, blksize: 4096, time };
    if ('guestPath' in f) {
      const mode = (f.stats.mode & 0o7777) | (f.kind === 'dir' ? S_IFDIR : f.kind === 'symlink' ? S_IFLNK : S_IFREG);
      const size = f.kind === 'dir' ? 4096n : BigInt(f.stats.size);
      return { ...base, ino: inodeOf(f.guestPath), mode, nlink: f.kind === 'dir' ? 2 : 1, size, blocks: (size + 511n) / 512n };
    }
    if (f.kind === 'std') {
      const tty = this.opts.inputs.tty[f.fd];
      return { ...base, dev: tty ? 0x16n : 0xdn, ino: BigInt(f.fd + 1), mode: (tty ? S_IFCHR : S_IFIFO) | 0o600, rdev: tty ? 0x8800n : 0n, size: 0n, blocks: 0n };
    }
    return this.statOf(f.node);
  }

  /** Deliver a signal the program sent itself: a stop outcome, or null when it does not act now. */
  raise(sig: number, how: string): SyscallOutcome | null {
    if (sig === 0) return null;
    const name = signalByNumber(sig);
    const bit = 1n << BigInt(sig - 1);
    if (name !== 'SIGKILL' && name !== 'SIGSTOP' && this.blocked & bit) {
      this.pending |= bit;
      return null;
    }
    return this.deliver(sig, how);
  }

  private deliver(sig: number, how: string): SyscallOutcome | null {
    const name = signalByNumber(sig);
    if (name === null) {
      this.opts.warn?.(`real-time signal ${sig} (${how}) was discarded: crashlab delivers only signals 1-31`);
      return null;
    }
    const handler = name === 'SIGKILL' || name === 'SIGSTOP' ? 0n : this.actions.get(sig)?.handler ?? 0n;
    if (handler === 1n) return null; // SIG_IGN
    if (handler === 0n) {
      if (DEFAULT_IGNORED.has(name)) return null;
      return { kind: 'signal', signal: name, reason: `${name} raised by the program (${how})`, pc: 'after' };
    }
    return {
      kind: 'signal',
      signal: name,
      reason: `${name} raised by the program (${how}); its handler at 0x${handler.toString(16)} was not run (crashlab does not deliver signals to handlers)`,
      pc: 'after',
    };
  }

  sigaction(sig: number, act: bigint, oact: bigint, setsize: bigint): bigint | Errno {
    if (setsize !== 8n) return 'EINVAL';
    const name = signalByNumber(sig);
    if (sig < 1 || sig > 64) return 'EINVAL';
    const size = this.ptr * (this.host.arch.linux.sigactionRestorer ? 3 : 2) + 8;
    if (act !== 0n && (name === 'SIGKILL' || name === 'SIGSTOP')) return 'EINVAL';
    let next: { handler: bigint; raw: Uint8Array } | null = null;
    if (act !== 0n) {
      const raw = this.mem.readUser(act, size);
      if (!raw) return 'EFAULT';
      let handler = 0n;
      for (let i = this.ptr - 1; i >= 0; i--) handler = (handler << 8n) | BigInt(raw[i]!);
      next = { handler, raw };
    }
    if (oact !== 0n && !this.put(oact, this.actions.get(sig)?.raw ?? new Uint8Array(size))) return 'EFAULT';
    if (next) this.actions.set(sig, next);
    return 0n;
  }

  sigprocmask(how: number, set: bigint, oset: bigint, setsize: bigint): Ret {
    if (setsize !== 8n) return 'EINVAL';
    let next = this.blocked;
    if (set !== 0n) {
      const raw = this.mem.readUser(set, 8);
      if (!raw) return 'EFAULT';
      const v = new DataView(raw.buffer, raw.byteOffset).getBigUint64(0, true);
      if (how === 0) next = this.blocked | v;
      else if (how === 1) next = this.blocked & ~v;
      else if (how === 2) next = v;
      else return 'EINVAL';
    }
    if (oset !== 0n && !this.put(oset, new Struct(8).u64(0, this.blocked).bytes)) return 'EFAULT';
    // SIGKILL and SIGSTOP cannot be blocked.
    this.blocked = next & ~((1n << 8n) | (1n << 18n));
    const ready = this.pending & ~this.blocked;
    if (ready) {
      for (let s = 1; s <= 64; s++) {
        const bit = 1n << BigInt(s - 1);
        if (ready & bit) {
          this.pending &= ~bit;
          const out = this.deliver(s, 'pending until rt_sigprocmask unblocked it');
          if (out) {
            this.ret(0n);
            return out;
          }
        }
      }
    }
    return 0n;
  }
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

/** A stable fake inode number for a guest path (FNV-1a), so stat output is host-independent. */
function inodeOf(path: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const c of new TextEncoder().encode(path)) h = BigInt.asUintN(64, (h ^ BigInt(c)) * 0x100000001b3n);
  return (h & 0xffffffn) + 2n;
}

// ---- the handlers, by system-call name ----

const fdRet = (x: number | Errno): Ret => (typeof x === 'number' ? BigInt(x) : x);

function openAt(k: LinuxKernel, dirfd: number, pathAddr: bigint, flags: number): Ret {
  const path = k.path(pathAddr);
  if (path === 'EFAULT' || path === 'ENAMETOOLONG') return path;
  const lf = k.host.arch.linux.openFlags;
  const node = k.lookup(dirfd, path, (flags & lf.nofollow) === 0);
  const writing = (flags & O_ACCMODE) !== 0 || (flags & (O_CREAT | O_TRUNC)) !== 0;
  const cloexec = (flags & O_CLOEXEC) !== 0;
  if (typeof node === 'string') {
    // A read-only file system refuses to create even where nothing exists.
    return node === 'ENOENT' && flags & O_CREAT && k.sandboxed().enabled ? 'EROFS' : node;
  }
  if (node.kind === 'symlink') return 'ELOOP';
  if (node.kind === 'dir') return writing ? 'EISDIR' : fdRet(k.newFd({ kind: 'dir', node, offset: 0 }, cloexec));
  if (flags & lf.directory) return 'ENOTDIR';
  if (writing) return 'EROFS';
  if (node.kind !== 'file') return 'EACCES';
  const data = k.sandboxed().contents(node);
  if (typeof data === 'string') return data;
  return fdRet(k.newFd({ kind: 'file', node, data, offset: 0 }, cloexec));
}

function statAt(k: LinuxKernel, dirfd: number, pathAddr: bigint, flags: number): StatInfo | Errno | FsError {
  const path = k.path(pathAddr);
  if (path === 'EFAULT' || path === 'ENAMETOOLONG') return path;
  if (path === '' && flags & AT_EMPTY_PATH) {
    if (dirfd === AT_FDCWD) {
      const root = k.lookup(AT_FDCWD, '/', true);
      return typeof root === 'string' ? root : k.statOf(root);
    }
    const f = k.file(dirfd);
    return f ? k.statOf(f) : 'EBADF';
  }
  const node = k.lookup(dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) === 0);
  return typeof node === 'string' ? node : k.statOf(node);
}

function writeStat(k: LinuxKernel, st: StatInfo | Errno | FsError, buf: bigint): Ret {
  if (typeof st === 'string') return st;
  return k.put(buf, encodeStat(st, k.host.arch.linux.stat)) ? 0n : 'EFAULT';
}

function readInto(k: LinuxKernel, fd: number, buf: bigint, len: bigint, at: number | null): Ret {
  const f = k.file(fd);
  if (!f) return 'EBADF';
  const n = Number(len > BigInt(MAX_IO) ? BigInt(MAX_IO) : len);
  if (n === 0) return 0n;
  if (!k.mem.accessible(buf, BigInt(n), PROT_WRITE)) return 'EFAULT';
  if (f.kind === 'dir') return 'EISDIR';
  if (f.kind === 'std') {
    if (at !== null) return 'ESPIPE';
    if (f.fd !== 0) return 'EBADF';
    const data = k.readStdin(n);
    if (typeof data === 'string') return data;
    return k.put(buf, data) ? BigInt(data.length) : 'EFAULT';
  }
  const from = at ?? f.offset;
  const chunk = f.data.subarray(Math.min(from, f.data.length), Math.min(from + n, f.data.length));
  if (!k.put(buf, chunk)) return 'EFAULT';
  if (at === null) f.offset = from + chunk.length;
  return BigInt(chunk.length);
}

function writeOut(k: LinuxKernel, fd: number, data: Uint8Array): Ret {
  const f = k.file(fd);
  if (!f) return 'EBADF';
  if (f.kind !== 'std' || f.fd === 0) return 'EBADF';
  k.host.output(f.fd, data);
  return BigInt(data.length);
}

/** struct iovec arrays: (base, len) pairs of pointer size. */
function iovecs(k: LinuxKernel, iov: bigint, count: number): { base: bigint; len: bigint }[] | Errno {
  if (count < 0 || count > 1024) return 'EINVAL';
  const raw = k.mem.readUser(iov, count * 2 * k.ptr);
  if (!raw) return 'EFAULT';
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
  const get = (i: number) => (k.ptr === 8 ? dv.getBigUint64(i * 8, true) : BigInt(dv.getUint32(i * 4, true)));
  return Array.from({ length: count }, (_, i) => ({ base: get(2 * i), len: get(2 * i + 1) }));
}

function mmap(k: LinuxKernel, a: readonly bigint[]): Ret {
  const [addr, length, prot, flags, fdArg, offset] = a as [bigint, bigint, bigint, bigint, bigint, bigint];
  const fl = Number(flags & 0xffffffffn);
  const type = fl & 3;
  if (type !== MAP_PRIVATE && type !== MAP_SHARED && type !== 3) return 'EINVAL';
  if (length === 0n) return 'EINVAL';
  if (offset % PAGE !== 0n) return 'EINVAL';
  const fixed = fl & MAP_FIXED_NOREPLACE ? 'noreplace' : fl & MAP_FIXED ? 'replace' : 'no';
  let contents: Uint8Array | undefined;
  if (!(fl & MAP_ANONYMOUS)) {
    const f = k.file(k.int(fdArg));
    if (!f) return 'EBADF';
    if (f.kind !== 'file') return 'EACCES';
    if (type !== MAP_PRIVATE && prot & BigInt(PROT_WRITE)) return 'EACCES';
    contents = f.data.subarray(Math.min(Number(offset), f.data.length));
  }
  const r = k.mem.mmap(addr, length, Number(prot & 7n), fixed, contents);
  return typeof r === 'bigint' ? r : r;
}

const ok = (): Ret => 0n;

const HANDLERS: Record<string, Handler> = {
  // -- process --
  exit: (_k, a) => ({ kind: 'exit', code: Number(a[0]! & 0xffn) }),
  exit_group: (_k, a) => ({ kind: 'exit', code: Number(a[0]! & 0xffn) }),
  set_tid_address: () => BigInt(GUEST_PID),
  set_robust_list: (k, a) => (a[1] === BigInt(3 * k.ptr) ? 0n : 'EINVAL'),
  // A kernel without restartable sequences: glibc and musl go on without them.
  rseq: () => 'ENOSYS',
  getpid: () => BigInt(GUEST_PID),
  gettid: () => BigInt(GUEST_PID),
  getppid: () => 1n,
  getpgid: () => BigInt(GUEST_PID),
  getpgrp: () => BigInt(GUEST_PID),
  getsid: () => BigInt(GUEST_PID),
  getuid: () => BigInt(GUEST_UID),
  geteuid: () => BigInt(GUEST_UID),
  getgid: () => BigInt(GUEST_GID),
  getegid: () => BigInt(GUEST_GID),
  getresuid: (k, a) => (a.slice(0, 3).every((p) => k.put(p, new Struct(4).u32(0, GUEST_UID).bytes)) ? 0n : 'EFAULT'),
  getresgid: (k, a) => (a.slice(0, 3).every((p) => k.put(p, new Struct(4).u32(0, GUEST_GID).bytes)) ? 0n : 'EFAULT'),
  umask: () => 0o022n,
  sched_yield: ok,
  sched_getaffinity: (k, a) => {
    if (a[1]! < 8n || a[1]! % BigInt(k.ptr) !== 0n) return 'EINVAL';
    return k.put(a[2]!, new Struct(8).u64(0, 1n).bytes) ? 8n : 'EFAULT';
  },
  uname: (k, a) =>
    k.put(a[0]!, encodeUtsname({ sysname: 'Linux', nodename: 'crashlab', release: '6.1.0', version: '#1 SMP crashlab', machine: k.host.arch.linux.machine, domainname: '(none)' }))
      ? 0n
      : 'EFAULT',
  prlimit64: (k, a) => {
    const pid = k.int(a[0]!);
    if (pid !== 0 && pid !== GUEST_PID) return 'ESRCH';
    const res = k.int(a[1]!);
    if (res < 0 || res > 15) return 'EINVAL';
    if (a[3] !== 0n && !k.put(a[3]!, rlimit(k, res))) return 'EFAULT';
    if (a[2] !== 0n && !k.mem.readUser(a[2]!, 16)) return 'EFAULT';
    return 0n;
  },
  getrlimit: (k, a) => {
    const res = k.int(a[0]!);
    if (res < 0 || res > 15) return 'EINVAL';
    return k.put(a[1]!, rlimit(k, res)) ? 0n : 'EFAULT';
  },
  setrlimit: (k, a) => (k.mem.readUser(a[1]!, 16) ? 0n : 'EFAULT'),
  arch_prctl: (k, a) => {
    const code = k.int(a[0]!);
    const fsBase = k.host.arch.linux.fsBase;
    if (fsBase === undefined) return 'EINVAL';
    if (code === 0x1002) {
      k.host.setReg(fsBase, a[1]!); // ARCH_SET_FS
      return 0n;
    }
    if (code === 0x1003) return k.put(a[1]!, new Struct(8).u64(0, k.host.reg(fsBase)).bytes) ? 0n : 'EFAULT'; // ARCH_GET_FS
    return 'EINVAL';
  },
  riscv_flush_icache: ok,

  // -- signals --
  rt_sigaction: (k, a) => k.sigaction(k.int(a[0]!), a[1]!, a[2]!, a[3]!),
  rt_sigprocmask: (k, a) => k.sigprocmask(k.int(a[0]!), a[1]!, a[2]!, a[3]!),
  sigaltstack: (k, a) => (a[1] === 0n || k.put(a[1]!, new Struct(3 * k.ptr).u32(k.ptr, 2).bytes) ? 0n : 'EFAULT'),
  tgkill: (k, a) => selfSignal(k, [k.int(a[0]!), k.int(a[1]!)], k.int(a[2]!), 'tgkill'),
  tkill: (k, a) => selfSignal(k, [k.int(a[0]!)], k.int(a[1]!), 'tkill'),
  kill: (k, a) => {
    const pid = k.int(a[0]!);
    return selfSignal(k, [pid === 0 || pid === -1 || pid === -GUEST_PID ? GUEST_PID : pid], k.int(a[1]!), 'kill');
  },

  // -- time --
  clock_gettime: (k, a) => {
    const id = k.int(a[0]!);
    if (id < 0 || id > 11) return 'EINVAL';
    const ns = k.now() + (id === 0 || id === 5 || id === 11 ? CLOCK_EPOCH_SEC * 1_000_000_000n : 0n);
    return k.put(a[1]!, encodePair(ns / 1_000_000_000n, ns % 1_000_000_000n, k.ptr)) ? 0n : 'EFAULT';
  },
  clock_getres: (k, a) => (a[1] === 0n || k.put(a[1]!, encodePair(0n, 1n, k.ptr)) ? 0n : 'EFAULT'),
  gettimeofday: (k, a) => {
    const ns = k.now() + CLOCK_EPOCH_SEC * 1_000_000_000n;
    if (a[0] !== 0n && !k.put(a[0]!, encodePair(ns / 1_000_000_000n, (ns % 1_000_000_000n) / 1000n, k.ptr))) return 'EFAULT';
    if (a[1] !== 0n && !k.put(a[1]!, new Struct(8).bytes)) return 'EFAULT';
    return 0n;
  },
  time: (k, a) => {
    const sec = (k.now() + CLOCK_EPOCH_SEC * 1_000_000_000n) / 1_000_000_000n;
    if (a[0] !== 0n && !k.put(a[0]!, new Struct(8).u64(0, sec).bytes)) return 'EFAULT';
    return sec;
  },
  nanosleep: (k, a) => sleep(k, a[0]!),
  clock_nanosleep: (k, a) => sleep(k, a[2]!),
  getrandom: (k, a) => {
    const n = Number(a[1]! > BigInt(MAX_IO) ? BigInt(MAX_IO) : a[1]!);
    return k.put(a[0]!, k.randomBytes(n)) ? BigInt(n) : 'EFAULT';
  },

  // -- memory --
  brk: (k, a) => k.mem.brk(a[0]!),
  mmap,
  // 32-bit ABIs: the offset is in 4096-byte units.
  mmap2: (k, a) => mmap(k, [a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]! * 4096n]),
  munmap: (k, a) => {
    const r = k.mem.munmap(a[0]!, a[1]!);
    return r === 0 ? 0n : r;
  },
  mprotect: (k, a) => {
    const r = k.mem.mprotect(a[0]!, a[1]!, Number(a[2]! & 7n));
    return r === 0 ? 0n : r;
  },
  mremap: (k, a) => {
    const r = k.mem.mremap(a[0]!, a[1]!, a[2]!, (a[3]! & 1n) !== 0n);
    return r;
  },
  madvise: (k, a) => {
    const r = Number(a[2]!) === 4 ? k.mem.discard(a[0]!, a[1]!) : a[0]! % PAGE === 0n ? 0 : 'EINVAL';
    return r === 0 ? 0n : r;
  },
  futex: (k, a) => {
    const op = k.int(a[1]!) & 0x7f;
    if (op === 1 || op === 10) return 0n; // FUTEX_WAKE(_BITSET): nobody else to wake
    if (op === 0 || op === 9) {
      const raw = k.mem.readUser(a[0]!, 4);
      if (!raw) return 'EFAULT';
      const cur = new DataView(raw.buffer, raw.byteOffset).getUint32(0, true);
      if (cur !== Number(a[2]! & 0xffffffffn)) return 'EAGAIN';
      if (a[3] !== 0n) return 'ETIMEDOUT';
      return { kind: 'hang', reason: `futex wait on 0x${a[0]!.toString(16)} with no other thread to wake it (deadlock)` };
    }
    return 'ENOSYS';
  },

  // -- files --
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
    const n = Number(a[2]! > BigInt(MAX_IO) ? BigInt(MAX_IO) : a[2]!);
    if (!k.file(k.int(a[0]!))) return 'EBADF';
    const data = k.mem.readUser(a[1]!, n);
    return data ? writeOut(k, k.int(a[0]!), data) : 'EFAULT';
  },
  writev: (k, a) => {
    const v = iovecs(k, a[1]!, k.int(a[2]!));
    if (typeof v === 'string') return v;
    if (!k.file(k.int(a[0]!))) return 'EBADF';
    const parts: Uint8Array[] = [];
    for (const { base, len } of v) {
      const d = k.mem.readUser(base, Number(len > BigInt(MAX_IO) ? BigInt(MAX_IO) : len));
      if (!d) return 'EFAULT';
      parts.push(d);
    }
    return writeOut(k, k.int(a[0]!), Buffer.concat(parts));
  },
  pwrite64: (k, a) => (k.file(k.int(a[0]!)) ? (k.file(k.int(a[0]!))!.kind === 'std' ? 'ESPIPE' : 'EBADF') : 'EBADF'),
  openat: (k, a) => openAt(k, k.int(a[0]!), a[1]!, k.int(a[2]!)),
  open: (k, a) => openAt(k, AT_FDCWD, a[0]!, k.int(a[1]!)),
  close: (k, a) => (k.closeFd(k.int(a[0]!)) ? 0n : 'EBADF'),
  lseek: (k, a) => {
    const f = k.file(k.int(a[0]!));
    if (!f) return 'EBADF';
    if (f.kind === 'std') return 'ESPIPE';
    const off = k.signed(a[1]!);
    const whence = k.int(a[2]!);
    const size = f.kind === 'file' ? BigInt(f.data.length) : 0n;
    const base = whence === 0 ? 0n : whence === 1 ? BigInt(f.offset) : whence === 2 ? size : null;
    if (base === null) return 'EINVAL';
    const to = base + off;
    if (to < 0n || to > BigInt(Number.MAX_SAFE_INTEGER)) return 'EINVAL';
    f.offset = Number(to);
    return to;
  },
  fstat: (k, a) => {
    const f = k.file(k.int(a[0]!));
    return f ? writeStat(k, k.statOf(f), a[1]!) : 'EBADF';
  },
  newfstatat: (k, a) => writeStat(k, statAt(k, k.int(a[0]!), a[1]!, k.int(a[3]!)), a[2]!),
  stat: (k, a) => writeStat(k, statAt(k, AT_FDCWD, a[0]!, 0), a[1]!),
  lstat: (k, a) => writeStat(k, statAt(k, AT_FDCWD, a[0]!, AT_SYMLINK_NOFOLLOW), a[1]!),
  statx: (k, a) => {
    const st = statAt(k, k.int(a[0]!), a[1]!, k.int(a[2]!));
    if (typeof st === 'string') return st;
    return k.put(a[4]!, encodeStatx(st)) ? 0n : 'EFAULT';
  },
  faccessat: (k, a) => access(k, k.int(a[0]!), a[1]!, k.int(a[2]!)),
  faccessat2: (k, a) => access(k, k.int(a[0]!), a[1]!, k.int(a[2]!)),
  access: (k, a) => access(k, AT_FDCWD, a[0]!, k.int(a[1]!)),
  readlinkat: (k, a) => readlink(k, k.int(a[0]!), a[1]!, a[2]!, a[3]!),
  readlink: (k, a) => readlink(k, AT_FDCWD, a[0]!, a[1]!, a[2]!),
  getcwd: (k, a) => {
    if (a[1]! < 2n) return 'ERANGE';
    return k.put(a[0]!, new Uint8Array([0x2f, 0])) ? 2n : 'EFAULT';
  },
  getdents64: (k, a) => getdents(k, k.int(a[0]!), a[1]!, a[2]!),
  ioctl: (k, a) => {
    const f = k.file(k.int(a[0]!));
    if (!f) return 'EBADF';
    const req = Number(a[1]! & 0xffffffffn);
    if (f.kind !== 'std' || !k.opts.inputs.tty[f.fd]) return 'ENOTTY';
    if (req === 0x5401) return k.put(a[2]!, encodeTermios()) ? 0n : 'EFAULT'; // TCGETS
    if (req === 0x5413) return k.put(a[2]!, new Struct(8).u16(0, 24).u16(2, 80).bytes) ? 0n : 'EFAULT'; // TIOCGWINSZ
    return 'ENOTTY';
  },
  fcntl: (k, a) => {
    const d = k.descriptor(k.int(a[0]!));
    if (!d) return 'EBADF';
    const f = d.file;
    const cmd = k.int(a[1]!);
    switch (cmd) {
      case 0: // F_DUPFD
      case 1030: { // F_DUPFD_CLOEXEC
        const from = k.int(a[2]!);
        return from < 0 || from >= 1024 ? 'EINVAL' : fdRet(k.newFd(f, cmd === 1030, from));
      }
      case 1: return d.cloexec ? 1n : 0n; // F_GETFD
      case 2: d.cloexec = (a[2]! & 1n) !== 0n; return 0n; // F_SETFD
      case 3: return f.kind === 'std' && f.fd !== 0 ? 1n : 0n; // F_GETFL: O_WRONLY for stdout/stderr
      case 4: return 0n; // F_SETFL
      default: return 'EINVAL';
    }
  },
  dup: (k, a) => {
    const f = k.file(k.int(a[0]!));
    return f ? fdRet(k.newFd(f, false)) : 'EBADF';
  },
  dup3: (k, a) => dup2(k, k.int(a[0]!), k.int(a[1]!), (k.int(a[2]!) & O_CLOEXEC) !== 0, true),
  dup2: (k, a) => dup2(k, k.int(a[0]!), k.int(a[1]!), false, false),
};

function dup2(k: LinuxKernel, from: number, to: number, cloexec: boolean, isDup3: boolean): Ret {
  const f = k.file(from);
  if (!f) return 'EBADF';
  if (to < 0 || to >= 1024) return 'EBADF';
  if (from === to) return isDup3 ? 'EINVAL' : BigInt(to);
  k.setFd(to, f, cloexec);
  return BigInt(to);
}

function rlimit(k: LinuxKernel, res: number): Uint8Array {
  const INF = (1n << 64n) - 1n;
  if (res === 3) return encodeRlimit(8n << 20n, INF); // RLIMIT_STACK
  if (res === 7) return encodeRlimit(1024n, 4096n); // RLIMIT_NOFILE
  if (res === 9) return encodeRlimit(k.mem.limit, k.mem.limit); // RLIMIT_AS: --mem-limit
  return encodeRlimit(INF, INF);
}

function sleep(k: LinuxKernel, req: bigint): Ret {
  const raw = k.mem.readUser(req, 2 * k.ptr);
  if (!raw) return 'EFAULT';
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
  const sec = k.ptr === 8 ? dv.getBigInt64(0, true) : BigInt(dv.getInt32(0, true));
  const nsec = k.ptr === 8 ? dv.getBigInt64(8, true) : BigInt(dv.getInt32(4, true));
  if (sec < 0n || nsec < 0n || nsec >= 1_000_000_000n) return 'EINVAL';
  k.advance(sec * 1_000_000_000n + nsec); // virtual time: sleeping costs nothing
  return 0n;
}

function selfSignal(k: LinuxKernel, ids: number[], sig: number, how: string): Ret {
  if (sig < 0 || sig > 64) return 'EINVAL';
  if (ids.some((id) => id !== GUEST_PID)) return 'ESRCH';
  const out = k.raise(sig, how);
  if (!out) return 0n;
  return out;
}

function access(k: LinuxKernel, dirfd: number, pathAddr: bigint, mode: number): Ret {
  const path = k.path(pathAddr);
  if (path === 'EFAULT' || path === 'ENAMETOOLONG') return path;
  const node = k.lookup(dirfd, path, true);
  if (typeof node === 'string') return node;
  if (mode & 2) return 'EROFS'; // W_OK on a read-only file system
  return 0n;
}

function readlink(k: LinuxKernel, dirfd: number, pathAddr: bigint, buf: bigint, size: bigint): Ret {
  const path = k.path(pathAddr);
  if (path === 'EFAULT' || path === 'ENAMETOOLONG') return path;
  if (size <= 0n) return 'EINVAL';
  let target: string;
  if (path === '/proc/self/exe') target = k.opts.exePath;
  else {
    const node = k.lookup(dirfd, path, false);
    if (typeof node === 'string') return node;
    if (node.kind !== 'symlink') return 'EINVAL';
    const t = k.sandboxed().linkTarget(node);
    if (typeof t === 'string') return t;
    target = t.target;
  }
  const bytes = new TextEncoder().encode(target).subarray(0, Number(size > 4096n ? 4096n : size));
  return k.put(buf, bytes) ? BigInt(bytes.length) : 'EFAULT';
}

function getdents(k: LinuxKernel, fd: number, buf: bigint, count: bigint): Ret {
  const f = k.file(fd);
  if (!f) return 'EBADF';
  if (f.kind !== 'dir') return 'ENOTDIR';
  const list = k.sandboxed().list(f.node);
  if (typeof list === 'string') return list;
  const entries = [{ name: '.', kind: 'dir' as const }, { name: '..', kind: 'dir' as const }, ...list];
  const DT = { file: 8, dir: 4, symlink: 10, other: 0 } as const;
  const out: Uint8Array[] = [];
  let used = 0;
  let i = f.offset;
  for (; i < entries.length; i++) {
    const e = entries[i]!;
    const name = new TextEncoder().encode(e.name);
    const reclen = (19 + name.length + 1 + 7) & ~7;
    if (used + reclen > Number(count)) break;
    const rec = new Struct(reclen).u64(0, inodeOf(f.node.guestPath + '/' + e.name)).u64(8, i + 1).u16(16, reclen).u8(18, DT[e.kind]);
    rec.bytes.set(name, 19);
    out.push(rec.bytes);
    used += reclen;
  }
  if (out.length === 0 && i < entries.length) return 'EINVAL';
  if (!k.put(buf, Buffer.concat(out))) return 'EFAULT';
  f.offset = i;
  return BigInt(used);
}


/** The system calls the layer implements, by name (for tests and docs). */
export function implementedSyscalls(): string[] {
  return Object.keys(HANDLERS).sort();
}
