// The Linux system-call layer: what a statically linked glibc or musl program asks of the
// kernel, answered the way Linux would answer it, deterministically. Numbers come from the
// arch's own table (src/linux/syscall-table.ts); handlers are by name, one table per
// concern under src/linux/syscalls/, so one handler serves every arch. Every pointer the
// guest passes is checked against the address space (EFAULT, never a host access through
// it); files come from the guest's private file system (src/linux/vfs/: a writable
// overlay over the read-only --fs directory, /dev and /proc), never the host's; time, ids
// and random bytes are virtual and fixed (src/linux/clock.ts, src/linux/ids.ts), so two
// runs give the same bytes.
//
// This class is the context handlers receive: the process's memory, descriptors, signal
// state and clock, and the helpers they share (reading paths, storing results).
//
// An unknown call returns -ENOSYS and is reported by name and number; with --strict it
// ends the run as SIGSYS. A call that must wait (a read of stdin with no input yet)
// returns a Block; with one guest thread, the wait is done on the host up to the run's
// deadline (then the run stops as a timeout), and a wait that only the guest itself could
// end is a hang.

import type { Arch } from '../arch/index.js';
import { ERRNO, type Errno } from './errno.js';
import { FdTable } from './fdtable.js';
import { isBlock, type OpenFile } from './files/file.js';
import { HostStdin, StdStream } from './files/stdio.js';
import { TtyFile } from './files/tty.js';
import { InodeFile } from './files/vfs-files.js';
import type { RunInputs } from './fs.js';
import { DeterministicRandom, VirtualClock } from './clock.js';
import type { AddressSpace } from './mm.js';
import { processView, singleProcess } from './process-view.js';
import { SignalState } from './signal-state.js';
import { HANDLERS } from './syscalls/index.js';
import { buildFileSystem, DEFAULT_FS_LIMIT, exeImage, FsContext, type LayerSpec, type Vfs } from './vfs/index.js';
import { DirInode, type Inode } from './vfs/inode.js';
import type { ExeImage } from './vfs/proc.js';
import type { Where } from './vfs/vfs.js';
import { AT_FDCWD, PATH_MAX, type SyscallOutcome } from './syscalls/types.js';

export { CLOCK_EPOCH_SEC, GUEST_GID, GUEST_PID, GUEST_UID } from './ids.js';
export type { SyscallOutcome } from './syscalls/types.js';
export { implementedSyscalls } from './syscalls/index.js';

export interface KernelHost {
  arch: Arch;
  reg(id: number): bigint;
  setReg(id: number, v: bigint): void;
  mem: AddressSpace;
  output(fd: 1 | 2, data: Uint8Array): void;
  /** When the run's time is up (performance.now() milliseconds); Infinity for no limit. */
  deadline?(): number;
}

export interface KernelOptions {
  /** Directory the guest sees as "/" (a read-only lower layer under its private overlay); null: an empty root. */
  fsRoot: string | null;
  /** Read-only host directories below --fs, top first (a sysroot), each seen at "/". */
  lowerLayers?: readonly LayerSpec[];
  /** --fs-limit: bytes the overlay may hold (default 256 MiB). */
  fsLimit?: number;
  /** The program's bytes and PT_LOAD segments (for /proc/self/exe and /proc/self/maps). */
  exeImage?: { bytes: Uint8Array; segments: ExeImage['segments'] };
  /** The process's arguments and environment (/proc/self/cmdline, environ). */
  argv?: readonly string[];
  env?: readonly string[];
  /** The Unicorn version whose CPU model /proc/cpuinfo describes. */
  engineVersion?: string;
  /** Unknown system calls stop the run (SIGSYS) instead of returning -ENOSYS. */
  strict: boolean;
  /** What readlink("/proc/self/exe") and AT_EXECFN give. */
  exePath: string;
  inputs: RunInputs;
  /** Told once per unsupported system call name. */
  warn?: (msg: string) => void;
}

export interface UnsupportedCall {
  name: string;
  number: number;
  count: number;
}

export class LinuxKernel {
  readonly fds = new FdTable();
  /** The guest's file system, and this process's root, cwd and umask in it. */
  readonly vfs: Vfs;
  readonly fsctx: FsContext;
  readonly exe: ExeImage;
  /** The auxiliary vector the loader built (set once the stack is), for /proc/self/auxv. */
  auxv: [number, bigint][] = [];
  readonly clock = new VirtualClock();
  readonly random = new DeterministicRandom();
  readonly signals: SignalState;
  readonly stdin: HostStdin;
  readonly unsupported = new Map<string, UnsupportedCall>();
  private readonly names: Map<number, string>;
  readonly ptr: 4 | 8;

  constructor(
    readonly host: KernelHost,
    readonly opts: KernelOptions,
  ) {
    this.stdin = new HostStdin(opts.inputs);
    const view = () => self;
    this.vfs = buildFileSystem({
      layers: [...(opts.fsRoot === null ? [] : [{ dir: opts.fsRoot, name: 'fs' }]), ...(opts.lowerLayers ?? [])],
      limit: opts.fsLimit ?? DEFAULT_FS_LIMIT,
      inputs: opts.inputs,
      clockNs: () => this.clock.peek(),
      devices: {
        random: (n) => this.random.bytes(n),
        tty: (node, flags) => (this.stdin.tty[0] ? new TtyFile(node, flags, this.stdin, (d) => host.output(2, d)) : 'ENXIO'),
      },
      proc: singleProcess(this, view, opts.engineVersion ?? '2.0.1'),
    });
    this.fsctx = new FsContext(this.vfs.root, this.vfs.root);
    this.exe = exeImage(this.vfs, opts.exePath, opts.exeImage?.bytes ?? new Uint8Array(0), opts.exeImage?.segments ?? []);
    const self = processView(this, this.exe);
    const stdio = { stdin: this.stdin, output: (fd: 1 | 2, d: Uint8Array) => host.output(fd, d) };
    for (const fd of [0, 1, 2] as const) this.fds.alloc(new StdStream(fd, stdio), false, fd);
    this.names = new Map(Object.entries(host.arch.syscall.numbers).map(([k, v]) => [v, k]));
    this.ptr = host.arch.ptrSize;
    this.signals = new SignalState(host.mem, this.ptr, host.arch.linux.sigactionRestorer, opts.warn);
  }

  get mem(): AddressSpace {
    return this.host.mem;
  }

  get arch(): Arch {
    return this.host.arch;
  }

  /** Handle the system call in the guest's registers; the result register is set here. */
  syscall(): SyscallOutcome {
    const abi = this.host.arch.syscall;
    const nr = Number(BigInt.asIntN(32, this.host.reg(abi.numberReg)));
    const args = abi.argRegs.map((r) => this.host.reg(r));
    const name = this.names.get(nr);
    const handler = name === undefined ? undefined : HANDLERS[name];
    if (!handler) return this.unknown(name, nr);
    for (;;) {
      const r = handler(this, args);
      if (typeof r === 'bigint') this.ret(r);
      else if (typeof r === 'string') this.ret(-BigInt(ERRNO[r]));
      else if (isBlock(r)) {
        // One thread: nobody else runs while it waits. Input from outside may still come.
        const wait = r.block;
        if (!wait.hostWait) return { kind: 'hang', reason: `${wait.what} with no other thread to wake it (deadlock)` };
        const left = (this.host.deadline?.() ?? Infinity) - performance.now();
        if (left <= 0 || !wait.hostWait(left)) return { kind: 'timeout' };
        continue;
      } else return r;
      return { kind: 'continue' };
    }
  }

  /** Store a system call's result in the return register. */
  ret(v: bigint): void {
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

  /** An int argument (the low 32 bits, signed). */
  int(v: bigint): number {
    return Number(BigInt.asIntN(32, v));
  }

  /** A long argument, signed. */
  signed(v: bigint): bigint {
    return BigInt.asIntN(this.ptr * 8, v);
  }

  /** Copy bytes to guest memory; false when any byte is not writable (EFAULT). */
  put(addr: bigint, bytes: Uint8Array): boolean {
    return this.mem.writeUser(addr, bytes);
  }

  /** A NUL-terminated path argument. */
  path(addr: bigint): string | Errno {
    const s = this.mem.readCString(addr, PATH_MAX);
    if (s === 'fault') return 'EFAULT';
    if (s === 'too-long') return 'ENAMETOOLONG';
    return s;
  }

  file(fd: number): OpenFile | undefined {
    return this.fds.file(fd);
  }

  /**
   * Where a *at() call's relative path starts: the cwd for AT_FDCWD, else dirfd's
   * directory (EBADF, or ENOTDIR for a descriptor that is not a directory). An absolute
   * path ignores dirfd, as the kernel does.
   */
  where(dirfd: number, path: string): Where | Errno {
    if (path.startsWith('/') || dirfd === AT_FDCWD) return { ctx: this.fsctx, base: this.fsctx.cwd };
    const d = this.file(dirfd);
    if (!d) return 'EBADF';
    if (!(d instanceof InodeFile) || !(d.inode instanceof DirInode)) return 'ENOTDIR';
    return { ctx: this.fsctx, base: d.inode };
  }

  /** Resolve a path relative to dirfd the way the *at() calls do. */
  lookup(dirfd: number, path: string, follow: boolean): Inode | Errno {
    if (path === '') return 'ENOENT';
    const w = this.where(dirfd, path);
    return typeof w === 'string' ? w : this.vfs.resolve(w, path, follow);
  }
}
