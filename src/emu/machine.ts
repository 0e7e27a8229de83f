// The machine: one Unicorn engine holding one guest image, the hooks that turn engine
// events into stop events, and the syscall layer. A guest crash is a value (StopEvent),
// never an exception; exceptions are for crashlab's own failures.

import type { Arch } from '../arch/index.js';
import type { Signal } from '../arch/signals.js';
import { RunInputs } from '../linux/fs.js';
import { collectChanges, type OverlayChanges } from '../linux/vfs/export.js';
import { GUEST_GID, GUEST_UID, LinuxKernel, type UnsupportedCall } from '../linux/kernel.js';
import { AddressSpace, MemoryLimitError, PROT_EXEC, PROT_READ, PROT_WRITE, type MemoryBackend } from '../linux/mm.js';
import { InputError } from '../loader/errors.js';
import { PT_LOAD } from '../loader/elf.js';
import { isCode, type GuestImage } from '../loader/image.js';
import { buildProcessStack } from '../loader/process.js';
import { UC_ERR, UC_MEM, UC_PROT } from './consts.js';
import { Engine, errorName, unicornVersion } from './unicorn.js';

export type Access = 'read' | 'write' | 'fetch';

export interface MemoryFault {
  access: Access;
  cause: 'unmapped' | 'protected';
  address: bigint;
  size: number;
}

export type StopEvent =
  | { kind: 'exit'; code: number }
  | {
      kind: 'signal';
      signal: Signal;
      reason: string;
      pc: bigint;
      /** False while pc is only the start of the translated block (see exact-pc.ts). */
      pcExact: boolean;
      /** A signal the program sent itself; pc is where Linux delivers it, after the system call. */
      selfSent?: boolean;
      memory?: MemoryFault;
    }
  | { kind: 'timeout'; reason: string; pc: bigint }
  /** The guest would wait forever (e.g. a futex wait with one thread); reported like a timeout. */
  | { kind: 'hang'; reason: string; pc: bigint }
  /** The guest reached a breakpoint (breakAt) or finished a step; pc has not run yet. */
  | { kind: 'breakpoint'; pc: bigint };

export interface RunLimits {
  timeoutMs: number;
  /** 0 for no instruction limit. */
  maxInsns: number;
}

/** Same access, cause, address and width. */
export function sameFault(a: MemoryFault | undefined, b: MemoryFault | undefined): boolean {
  return !!a && !!b && a.access === b.access && a.cause === b.cause && a.address === b.address && a.size === b.size;
}

export type OutputSink = (fd: 1 | 2, data: Uint8Array) => void;

/** The process a machine runs: its arguments and what the Linux layer lets it see. */
export interface ProcessSpec {
  argv: readonly string[];
  env: readonly string[];
  output: OutputSink;
  /** Directory the guest sees as "/" (a read-only layer under its private, writable overlay); null for an empty root. */
  fsRoot: string | null;
  /** --fs-limit: bytes the overlay may hold (default 256 MiB). */
  fsLimit?: number;
  /** Unknown system calls stop the run as SIGSYS instead of returning -ENOSYS. */
  strict: boolean;
  /** Most guest memory mapped at once, in bytes. */
  memLimit: bigint;
  /** What readlink("/proc/self/exe") gives: an absolute guest path. */
  exePath: string;
  /** AT_EXECFN: the file name as the program was started (default argv[0]). */
  execFn?: string;
  /** Outside bytes the guest read; shared between a run and its replay. */
  inputs: RunInputs;
  warn?: (msg: string) => void;
}

export const DEFAULT_MEM_LIMIT = 1n << 30n;

export interface Registers {
  pc: bigint;
  sp: bigint;
  fp: bigint;
  link?: bigint;
}

const MEM_KIND: Record<number, { access: Access; cause: 'unmapped' | 'protected' }> = {
  [UC_MEM.READ_UNMAPPED]: { access: 'read', cause: 'unmapped' },
  [UC_MEM.WRITE_UNMAPPED]: { access: 'write', cause: 'unmapped' },
  [UC_MEM.FETCH_UNMAPPED]: { access: 'fetch', cause: 'unmapped' },
  [UC_MEM.READ_PROT]: { access: 'read', cause: 'protected' },
  [UC_MEM.WRITE_PROT]: { access: 'write', cause: 'protected' },
  [UC_MEM.FETCH_PROT]: { access: 'fetch', cause: 'protected' },
};

function protOf(p: { r: boolean; w: boolean; x: boolean }): number {
  return (p.r ? PROT_READ : 0) | (p.w ? PROT_WRITE : 0) | (p.x ? PROT_EXEC : 0);
}

function ucPerms(prot: number): number {
  return (prot & PROT_READ ? UC_PROT.READ : 0) | (prot & PROT_WRITE ? UC_PROT.WRITE : 0) | (prot & PROT_EXEC ? UC_PROT.EXEC : 0);
}

export class Machine {
  readonly arch: Arch;
  private event: StopEvent | null = null;
  private lastMemFault: MemoryFault | null = null;
  /** Instruction-count mode: Unicorn updates pc before every instruction, so faults are exact. */
  private counting = false;
  /** The limits of the run in progress, and when its time is up (performance.now() ms). */
  private limits: RunLimits = { timeoutMs: Infinity, maxInsns: 0 };
  private deadlineAt = Infinity;

  private readonly kernel: LinuxKernel;
  readonly memory: AddressSpace;

  private constructor(
    readonly image: GuestImage,
    private readonly engine: Engine,
    spec: ProcessSpec,
  ) {
    this.arch = image.arch;
    const backend: MemoryBackend = {
      map: (a, n, prot) => engine.memMap(a, n, ucPerms(prot)),
      unmap: (a, n) => engine.memUnmap(a, n),
      protect: (a, n, prot) => engine.memProtect(a, n, ucPerms(prot)),
      read: (a, n) => engine.memRead(a, n),
      write: (a, b) => engine.memWrite(a, b),
    };
    this.memory = new AddressSpace(backend, {
      limit: spec.memLimit,
      userTop: this.arch.linux.userTop,
      mmapTop: image.stack.guardBottom,
      brkStart: image.end,
    });
    this.kernel = new LinuxKernel(
      { arch: this.arch, reg: (id) => engine.regRead(id), setReg: (id, v) => engine.regWrite(id, v), mem: this.memory, output: spec.output, deadline: () => this.deadlineAt },
      {
        fsRoot: spec.fsRoot,
        fsLimit: spec.fsLimit,
        strict: spec.strict,
        exePath: spec.exePath,
        exeImage: { bytes: image.elf.bytes, segments: image.elf.segments.filter((s) => s.type === PT_LOAD && s.memsz > 0n) },
        argv: spec.argv,
        env: spec.env,
        engineVersion: unicornVersion(),
        inputs: spec.inputs,
        warn: spec.warn,
      },
    );
  }

  /** Open an engine, map the image and the stack, and set up the process start. */
  static create(image: GuestImage, spec: ProcessSpec): Machine {
    const arch = image.arch;
    const engine = Engine.open(arch.engine.arch, arch.engine.mode);
    try {
      const m = new Machine(image, engine, spec);
      try {
        for (const r of image.regions) m.memory.addFixed(r.start, r.size, protOf(r.perms), r.name === 'stack' ? 'stack' : 'image');
      } catch (e) {
        if (e instanceof MemoryLimitError) throw new InputError(`${image.elf.path}: ${e.message} (--mem-limit)`);
        throw e;
      }
      for (const r of image.regions) for (const d of r.data) engine.memWrite(d.addr, d.bytes);
      const ps = buildProcessStack(image, spec.argv, spec.env, { uid: GUEST_UID, gid: GUEST_GID }, spec.execFn ?? spec.argv[0] ?? '');
      engine.memWrite(ps.base, ps.bytes);
      m.kernel.auxv = ps.auxv;
      engine.regWrite(arch.regs.sp, ps.sp);
      for (const { id, value } of arch.initialRegisters ?? []) engine.regWrite(id, value);
      m.installHooks();
      return m;
    } catch (e) {
      engine.close();
      throw e;
    }
  }

  /** What the guest changed in its file system so far (for --fs-out); shared mappings are written back first. */
  fileSystemChanges(): OverlayChanges {
    this.memory.flushAll();
    return collectChanges(this.kernel.vfs);
  }

  /** System calls the guest made that crashlab does not implement (each returned -ENOSYS). */
  get unsupportedCalls(): UnsupportedCall[] {
    return [...this.kernel.unsupported.values()];
  }

  private stopWith(ev: StopEvent): void {
    if (!this.event) this.event = ev;
    this.engine.stop();
  }

  private signalAt(meaning: { signal: Signal; reason: string }, pc: bigint, pcExact: boolean, memory?: MemoryFault, selfSent?: boolean): void {
    this.stopWith({ kind: 'signal', signal: meaning.signal, reason: meaning.reason, pc, pcExact, memory, ...(selfSent ? { selfSent } : {}) });
  }

  private installHooks(): void {
    const { engine, arch } = this;
    const syscall = (pcOfInsn: bigint) => {
      const r = this.kernel.syscall();
      if (r.kind === 'exit') this.stopWith({ kind: 'exit', code: r.code });
      else if (r.kind === 'signal') {
        const after = r.pc === 'after';
        this.signalAt(r, after ? pcOfInsn + BigInt(arch.syscallInsnSize) : pcOfInsn, true, undefined, after);
      }
      else if (r.kind === 'hang') this.stopWith({ kind: 'hang', reason: r.reason, pc: pcOfInsn + BigInt(arch.syscallInsnSize) });
      else if (r.kind === 'timeout') this.stopWith({ kind: 'timeout', reason: timeLimitReason(this.limits), pc: pcOfInsn + BigInt(arch.syscallInsnSize) });
    };
    engine.onInterrupt((intno) => {
      const pc = engine.regRead(arch.regs.pc);
      const m = arch.interrupt(intno);
      if (m === null) {
        this.signalAt({ signal: 'SIGILL', reason: `unhandled CPU exception ${intno}` }, pc, false);
      } else if (m.kind === 'syscall') {
        syscall(pc - BigInt(arch.syscallPcAdjust));
      } else {
        this.signalAt(m, pc - BigInt(m.pcAdjust), !m.pcImprecise);
      }
    });
    if (arch.syscallInsn !== undefined) {
      engine.onSyscallInsn(arch.syscallInsn, () => syscall(engine.regRead(arch.regs.pc) - BigInt(arch.syscallPcAdjust)));
    }
    engine.onMemInvalid((type, address, size) => {
      const kind = MEM_KIND[type];
      if (!kind) return false;
      const fault: MemoryFault = { ...kind, address, size };
      this.lastMemFault = fault;
      // A fetch fault happens at the fetched address itself; other faults are reported at
      // the block start by Unicorn 2.0.1 and refined later.
      const pc = kind.access === 'fetch' ? address : engine.regRead(arch.regs.pc);
      this.signalAt({ signal: 'SIGSEGV', reason: describeFault(this.image, fault) }, pc, kind.access === 'fetch' || this.counting, fault);
      return false;
    });
    engine.onInsnInvalid(() => {
      const pc = engine.regRead(arch.regs.pc);
      const m = arch.invalidInstruction(engine.tryMemRead(pc, 4) ?? engine.tryMemRead(pc, 2));
      if (m.kind === 'signal') this.signalAt(m, pc - BigInt(m.pcAdjust), !m.pcImprecise);
      return false;
    });
  }

  /** Run from the entry point until the guest exits, faults, traps or runs out of time. */
  run(limits: RunLimits): StopEvent {
    const until = (1n << BigInt(this.arch.ptrSize * 8)) - 1n; // never a valid pc on any guest
    const began = performance.now();
    this.limits = limits;
    this.deadlineAt = began + limits.timeoutMs;
    this.counting = limits.maxInsns > 0;
    const err = this.engine.start(this.image.entry, until, Math.round(limits.timeoutMs * 1000), limits.maxInsns);
    const elapsedMs = performance.now() - began;
    if (this.event) return this.event;
    const pc = this.engine.regRead(this.arch.regs.pc);
    if (err === UC_ERR.INSN_INVALID) {
      const m = this.arch.invalidInstruction(this.engine.tryMemRead(pc, 4) ?? this.engine.tryMemRead(pc, 2));
      if (m.kind === 'signal') return { kind: 'signal', signal: m.signal, reason: m.reason, pc: pc - BigInt(m.pcAdjust), pcExact: !m.pcImprecise };
    }
    if (err !== 0) {
      const fault = this.lastMemFault;
      if (fault) return { kind: 'signal', signal: 'SIGSEGV', reason: describeFault(this.image, fault), pc, pcExact: false, memory: fault };
      return { kind: 'signal', signal: 'SIGILL', reason: `emulation stopped: ${errorName(err)}`, pc, pcExact: false };
    }
    if (pc === until) {
      const memory: MemoryFault = { access: 'fetch', cause: 'unmapped', address: pc, size: this.arch.ptrSize };
      return { kind: 'signal', signal: 'SIGSEGV', reason: describeFault(this.image, memory), pc, pcExact: true, memory };
    }
    const byCount = limits.maxInsns > 0 && elapsedMs < limits.timeoutMs * 0.95;
    const reason = byCount ? `instruction limit of ${limits.maxInsns} reached` : timeLimitReason(limits);
    return { kind: 'timeout', reason, pc };
  }

  /**
   * Stop the run the first time the guest is about to execute `addr` (a UC_HOOK_CODE on
   * that one address; the hook goes away at the first hit, so step() can go on from there).
   */
  breakAt(addr: bigint): void {
    const hook = this.engine.onCode(addr, addr, (pc) => {
      if (this.event) return;
      hook.remove();
      this.stopWith({ kind: 'breakpoint', pc });
    });
  }

  /**
   * Execute exactly one instruction from the current pc (the engine's count mode: pc is
   * exact before every instruction). Returns the event that ended it (exit, signal) or a
   * breakpoint event at the next pc when the guest simply goes on.
   */
  step(): StopEvent {
    this.event = null;
    this.lastMemFault = null;
    this.counting = true;
    const pc = this.engine.regRead(this.arch.regs.pc);
    const until = (1n << BigInt(this.arch.ptrSize * 8)) - 1n;
    const err = this.engine.start(pc, until, 0, 1);
    if (this.event) return this.event;
    const next = this.engine.regRead(this.arch.regs.pc);
    if (err !== 0) {
      const fault = this.lastMemFault;
      if (fault) return { kind: 'signal', signal: 'SIGSEGV', reason: describeFault(this.image, fault), pc, pcExact: true, memory: fault };
      const m = this.arch.invalidInstruction(this.engine.tryMemRead(pc, 4) ?? this.engine.tryMemRead(pc, 2));
      if (m.kind === 'signal') return { kind: 'signal', signal: m.signal, reason: m.reason, pc: pc - BigInt(m.pcAdjust), pcExact: true };
      return { kind: 'signal', signal: 'SIGILL', reason: `emulation stopped: ${errorName(err)}`, pc, pcExact: true };
    }
    return { kind: 'breakpoint', pc: next };
  }

  registers(): Registers {
    const r = this.arch.regs;
    return {
      pc: this.engine.regRead(r.pc),
      sp: this.engine.regRead(r.sp),
      fp: this.engine.regRead(r.fp),
      link: r.link === undefined ? undefined : this.engine.regRead(r.link),
    };
  }

  readRegister(id: number): bigint {
    return this.engine.regRead(id);
  }

  read(addr: bigint, n: number): Uint8Array | null {
    if (addr < 0n) return null;
    return this.engine.tryMemRead(addr, n);
  }

  isCode(addr: bigint): boolean {
    return isCode(this.image, addr);
  }

  close(): void {
    this.engine.close();
  }
}

function timeLimitReason(limits: RunLimits): string {
  return `time limit of ${+(limits.timeoutMs / 1000).toFixed(3)} s reached`;
}

const plural = (n: number) => (n === 1 ? 'byte' : 'bytes');

/** "write of 4 bytes to unmapped address 0x0", as a kernel-minded person would say it. */
export function describeFault(image: GuestImage, f: MemoryFault): string {
  const addr = '0x' + f.address.toString(16);
  let text: string;
  if (f.access === 'fetch') {
    text = f.cause === 'unmapped' ? `instruction fetch from unmapped address ${addr}` : `instruction fetch from non-executable address ${addr}`;
  } else {
    const what = `${f.access} of ${f.size} ${plural(f.size)} ${f.access === 'write' ? 'to' : 'from'}`;
    const where = f.cause === 'unmapped' ? 'unmapped' : f.access === 'write' ? 'read-only' : 'unreadable';
    text = `${what} ${where} address ${addr}`;
  }
  const { guardBottom, bottom } = image.stack;
  if (f.address >= guardBottom && f.address < bottom) text += ' (stack overflow into the guard region below the stack)';
  return text;
}
