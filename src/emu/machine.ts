// The machine: one Unicorn engine holding one guest image, the hooks that turn engine
// events into stop events, and the syscall layer. A guest crash is a value (StopEvent),
// never an exception; exceptions are for crashlab's own failures.
//
// Two engine paths, chosen by the library loaded (src/emu/library.ts):
// - Unicorn >= 2.1, the fast path: the virtual TLB (UC_TLB_VIRTUAL) with one TLB-fill hook
//   that answers each page's permissions from the address space (AddressSpace.protAt), and
//   no memory hook at all, so stores stay on QEMU's fast path (a memory hook covering an
//   address keeps every store to it on the slow path). A refused fill is the fault: 2.1
//   restores the CPU state before asking, so the pc is the faulting instruction; the access's
//   exact address and width come from re-executing that one instruction with the default
//   TLB and a memory hook (faultFromRefusal). Every change of permissions (mmap, munmap,
//   mprotect, mremap) flushes the TLB so the hook is asked again, and drops translated
//   blocks over pages that become executable (code written while a page was writable).
// - Unicorn 2.0.1, the fallback: a UC_HOOK_MEM_INVALID hook reports faults at the start of
//   the translated block; the pipeline replays the guest in count mode for the exact pc
//   (exact-pc.ts).
//
// run() is resumable: it runs from the current pc to the next stop event or deadline.
// pause() (from any hook, e.g. after a system call that must wait) stops the engine and
// run() returns { kind: 'paused' }; the next run() continues at the next instruction.
// Measured by test/emu/resume.test.ts on both engines: stopping from the system-call hook
// after every call and resuming gives the same output and exit as a straight run (bare-metal
// guests on all four arches, static glibc programs on three). Resuming after a *timeout* is
// exact on 2.1 only (resumableAfterTimeout): compute.elf in 20 ms slices ended exactly after
// 209 slices (x86-64) and 259 (rv64) on 2.1.4; on 2.0.1 the x86-64 guest fetched from its
// stack after 13 slices, so run() refuses to resume a timed-out 2.0.1 machine.

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
import { Engine, engineInfo, engineWarning, errorName, unicornVersion } from './unicorn.js';

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
  /** Machine.pause() was called from a hook; run() again continues at pc. */
  | { kind: 'paused'; reason: string; pc: bigint }
  /** The guest reached a breakpoint (breakAt) or finished a step; pc has not run yet. */
  | { kind: 'breakpoint'; pc: bigint };

export interface RunLimits {
  /** Wall-clock limit of this run() in ms (also what a timeout's reason names). */
  timeoutMs: number;
  /** 0 for no instruction limit (counted per run() call, in the engine's count mode). */
  maxInsns: number;
  /** Absolute wall-clock deadline (performance.now() ms) for a run resumed in slices; overrides timeoutMs. */
  deadline?: number;
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

/** UC_PROT bits for PROT_* bits (PROT_READ = UC_PROT_READ and so on; spelled out anyway). */
const UC_PERMS = Uint8Array.from({ length: 8 }, (_, prot) =>
  (prot & PROT_READ ? UC_PROT.READ : 0) | (prot & PROT_WRITE ? UC_PROT.WRITE : 0) | (prot & PROT_EXEC ? UC_PROT.EXEC : 0));
const ucPerms = (prot: number) => UC_PERMS[prot & 7]!;

/** The UC_PROT bit a TLB fill of each UC_MEM access type needs. */
const NEEDED: Record<number, number> = { [UC_MEM.READ]: UC_PROT.READ, [UC_MEM.WRITE]: UC_PROT.WRITE, [UC_MEM.FETCH]: UC_PROT.EXEC };

/** A TLB fill the fast path refused: the guest's fault, at the exact pc. */
interface Refusal {
  pc: bigint;
  page: number | bigint;
  access: number;
}

/**
 * Largest TLB the fill hook grows the engine's to: as many entries as 1 GiB has target
 * pages (2^18 for 4 KiB pages, 2^20 for AArch64's 1 KiB pages; 48 bytes each with the I/O
 * entry, so 12 or 48 MiB, only for guests whose working set needs it).
 */
const TLB_REACH = 1 << 30;

/** Most single steps faultFromRefusal takes to reach the faulting instruction (a fetch refused mid-block). */
const MAX_STEPS_TO_FAULT = 64;

export class Machine {
  readonly arch: Arch;
  private event: StopEvent | null = null;
  private lastMemFault: MemoryFault | null = null;
  /** Instruction-count mode: Unicorn updates pc before every instruction, so faults are exact. */
  private counting = false;
  /** Unicorn >= 2.1: virtual TLB and fill hook, no memory hooks, no replay. */
  readonly fastPath: boolean;
  /** The first TLB fill refused during the current run() (fast path). */
  private refused: Refusal | null = null;
  /** Our estimate of the engine's TLB entries (QEMU's CPU_TLB_DYN_DEFAULT_BITS at first). */
  private tlbEntries = 256;
  private fillsSinceFlush = 0;
  /** The fill hook stopped the engine to grow the TLB. */
  private growTlb = false;
  /** Non-zero: what the fill hook answers for every page (while dropping translated blocks). */
  private fillOverride = 0;
  /** The page of run()'s `until` address (all ones), as the fill hook gets it. */
  private untilPage = 0n;
  /** run() was called: the engine may hold translated blocks. */
  private started = false;
  /** The guest ended (exit, signal, hang) or timed out where resuming is not exact. */
  private finished = false;
  /** Called after every system call the kernel handled (while the engine is stopped inside its hook). */
  afterSyscall: ((m: Machine) => void) | null = null;
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
    this.fastPath = engine.hasVirtualTlb;
    this.untilPage = ((1n << BigInt(this.arch.ptrSize * 8)) - 1n) & ~BigInt(engine.pageSize - 1);
    // Every change of what a TLB fill would answer flushes the TLB. Translated blocks over
    // pages that were executable are dropped before the change (else a jump found in the
    // engine's jump cache still runs a page made non-executable: qemu-user 7.2 does run
    // it), and over pages that become executable after it (their bytes may be new code,
    // written while the page was not executable, which 2.1 does not track).
    // uc_mem_map/protect/unmap and the block removal translate addresses as fetches inside
    // the engine (uc_invalidate_tb: get_page_addr_code), which asks the fill hook before the
    // address space has recorded the change; a refusal there would stop the guest. So the
    // hook answers RWX during these calls, and the TLB is flushed after them.
    // (Before the first run nothing is translated: the image and stack map without it.)
    const change = (a: bigint, n: bigint, prot: number, op: () => void) => {
      this.fillOverride = UC_PROT.ALL;
      try {
        const translated = this.started;
        if (translated && engine.regions().some((r) => r.begin < a + n && a <= r.end && r.perms & UC_PROT.EXEC)) engine.tbRemoveCache(a, a + n);
        op();
        if (translated && prot & PROT_EXEC) engine.tbRemoveCache(a, a + n);
      } finally {
        this.fillOverride = 0;
        engine.tlbFlush();
        this.fillsSinceFlush = 0;
      }
    };
    const backend: MemoryBackend = {
      map: (a, n, prot) => change(a, n, prot, () => engine.memMap(a, n, ucPerms(prot))),
      unmap: (a, n) => change(a, n, 0, () => engine.memUnmap(a, n)),
      protect: (a, n, prot) => change(a, n, prot, () => engine.memProtect(a, n, ucPerms(prot))),
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
      engine.regWrite(arch.regs.pc, image.entry);
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

  /** The engine's name and version, e.g. "unicorn 2.1.4". */
  get engineVersion(): string {
    const e = engineInfo();
    return `${e.name} ${e.version}`;
  }

  /** The one-line warning for running on the system's Unicorn 2.0.1 fallback, or null. */
  get engineWarning(): string | null {
    return engineWarning();
  }

  /** Whether run() may be called again after a timeout (exact on Unicorn 2.1 only). */
  get resumableAfterTimeout(): boolean {
    return this.fastPath;
  }

  private stopWith(ev: StopEvent): void {
    if (!this.event) this.event = ev;
    this.engine.stop();
  }

  /**
   * Stop the engine from inside a hook (after a system call that must wait, at a scheduling
   * point): run() returns { kind: 'paused', reason, pc } and the next run() continues there.
   * An event already recorded in the same run (an exit, a fault) wins.
   */
  pause(reason: string): void {
    this.stopWith({ kind: 'paused', reason, pc: 0n });
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
      this.afterSyscall?.(this); // after the call's own stop event, which a pause() here does not override
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
    if (this.fastPath) {
      engine.useVirtualTlb(true);
      const memory = this.memory;
      engine.onTlbFill((page, access) => {
        const perms = this.fillOverride || ucPerms(memory.protAt(page));
        if (perms & (NEEDED[access] ?? 0)) {
          // QEMU's TLB starts with 256 entries and grows only when a flush finds it more
          // than 70% used (cputlb.c, tlb_mmu_resize_locked); the guest's mappings rarely
          // change, so a working set larger than the TLB would take a JS fill on almost
          // every access (randmem: one per access). So after as many fills as the TLB has
          // entries, stop at the next block and flush: the TLB doubles, up to TLB_REACH.
          if (++this.fillsSinceFlush >= this.tlbEntries && this.tlbEntries < TLB_REACH / engine.pageSize && !this.counting) {
            this.growTlb = true;
            engine.stop();
          }
          return perms;
        }
        // The first refusal is the fault. Whenever 2.1.4 stops (a refusal, uc_emu_stop, the
        // count running out) it also asks for a fetch of run()'s `until` page, the top page
        // of the address space, which no guest maps: refused without being a fault.
        if (!this.refused && !(access === UC_MEM.FETCH && BigInt(page) >= this.untilPage)) {
          this.refused = { pc: engine.regRead(arch.regs.pc), page, access };
        }
        return 0;
      });
    } else {
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
    }
    engine.onInsnInvalid(() => {
      const pc = engine.regRead(arch.regs.pc);
      const m = arch.invalidInstruction(engine.tryMemRead(pc, 4) ?? engine.tryMemRead(pc, 2));
      if (m.kind === 'signal') this.signalAt(m, pc - BigInt(m.pcAdjust), !m.pcImprecise);
      return false;
    });
  }

  /**
   * Run from the current pc (the entry point at first) until the guest exits, faults,
   * traps, pauses or runs out of time. After 'paused' (and after 'timeout' when
   * resumableAfterTimeout) run() may be called again and continues where it stopped.
   */
  run(limits: RunLimits): StopEvent {
    if (this.finished) throw new Error('Machine.run: the guest has ended (or timed out on an engine that cannot resume)');
    const until = (1n << BigInt(this.arch.ptrSize * 8)) - 1n; // never a valid pc on any guest
    const began = performance.now();
    const deadline = limits.deadline ?? began + limits.timeoutMs;
    this.limits = limits;
    this.deadlineAt = deadline;
    this.counting = limits.maxInsns > 0;
    this.started = true;
    this.event = null;
    this.refused = null;
    this.lastMemFault = null;
    let err: number;
    for (;;) {
      const begin = this.engine.regRead(this.arch.regs.pc);
      const timeoutUs = Math.max(1, Math.round((deadline - performance.now()) * 1000));
      this.growTlb = false;
      err = this.engine.start(begin, until, timeoutUs, limits.maxInsns);
      // (a stop makes 2.1.4 refuse the fetch of the `until` page: UC_ERR_EXCEPTION, no refusal)
      const plainStop = err === UC_ERR.OK || (err === UC_ERR.EXCEPTION && !this.refused);
      if (!this.growTlb || this.event || !plainStop || performance.now() >= deadline) break;
      // The fill hook asked for a larger TLB (see onTlbFill below): flush, so QEMU doubles
      // it, and continue at the next block (resuming is exact on 2.1).
      this.tlbEntries *= 2;
      this.engine.tlbFlush();
      this.fillsSinceFlush = 0;
    }
    const elapsedMs = performance.now() - began;
    const ev = this.stopEvent(err, until, limits, elapsedMs, deadline - began);
    if (ev.kind !== 'paused' && ev.kind !== 'breakpoint' && (ev.kind !== 'timeout' || !this.resumableAfterTimeout)) this.finished = true;
    return ev;
  }

  private stopEvent(rc: number, until: bigint, limits: RunLimits, elapsedMs: number, budgetMs: number): StopEvent {
    let err = rc;
    const ev = this.event as StopEvent | null; // set by hooks during start()
    if (ev) return ev.kind === 'paused' ? { ...ev, pc: this.engine.regRead(this.arch.regs.pc) } : ev;
    if (err === UC_ERR.EXCEPTION && this.refused) return this.faultFromRefusal(this.refused, until);
    if (err === UC_ERR.EXCEPTION && this.fastPath) err = UC_ERR.OK; // only the `until` fetch was refused: a plain stop
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
    const byCount = limits.maxInsns > 0 && elapsedMs < budgetMs * 0.95;
    const reason = byCount ? `instruction limit of ${limits.maxInsns} reached` : timeLimitReason(limits);
    return { kind: 'timeout', reason, pc };
  }

  /**
   * The fault behind a refused TLB fill, with the access's exact address and width: the
   * refusal's pc is the faulting instruction (2.1 restores the CPU state before the fill),
   * but the hook sees only the page. So re-execute from that pc, one instruction at a time,
   * with the default TLB (where the engine's own region permissions, kept equal to the
   * address space's, are checked) and a memory hook, which reports the access as 2.0.1's
   * hook did. A fetch refused while translating a block may have a pc at the block's start;
   * the single steps then walk up to the faulting instruction.
   */
  private faultFromRefusal(r: Refusal, until: bigint): StopEvent {
    const { engine, arch } = this;
    let fault: MemoryFault | null = null;
    let at = r.pc;
    const hook = engine.onMemInvalid((type, address, size) => {
      const kind = MEM_KIND[type];
      if (kind && !fault) fault = { ...kind, address, size };
      return false;
    });
    engine.useVirtualTlb(false);
    engine.tlbFlush();
    try {
      for (let step = 0; step < MAX_STEPS_TO_FAULT && !fault && !this.event; step++) {
        at = engine.regRead(arch.regs.pc);
        engine.start(at, until, 0, 1);
      }
    } finally {
      hook.remove();
      engine.useVirtualTlb(true);
      engine.tlbFlush();
    }
    let found = fault as MemoryFault | null;
    if (found) {
      // The hook gets a physical address, which 2.1.4 cuts to the CPU's physical width (52
      // bits on x86-64); the refused fill had the virtual page: keep its upper bits.
      const page = BigInt(r.page);
      const low = (1n << 52n) - 1n;
      if (page >> 52n && (found.address & low) >> 12n === (page & low) >> 12n) {
        found = { ...found, address: (page & ~low) | (found.address & low) };
      }
    }
    if (found) {
      const pc = found.access === 'fetch' ? found.address : at;
      return { kind: 'signal', signal: 'SIGSEGV', reason: describeFault(this.image, found), pc, pcExact: true, memory: found };
    }
    // Not reproduced (never seen): report the refusal itself, page-exact.
    const access: Access = r.access === UC_MEM.WRITE ? 'write' : r.access === UC_MEM.FETCH ? 'fetch' : 'read';
    const page = BigInt(r.page);
    const memory: MemoryFault = { access, cause: this.memory.protAt(page) ? 'protected' : 'unmapped', address: page, size: 0 };
    return { kind: 'signal', signal: 'SIGSEGV', reason: describeFault(this.image, memory), pc: r.pc, pcExact: true, memory };
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
    this.refused = null;
    this.counting = true;
    this.started = true;
    const pc = this.engine.regRead(this.arch.regs.pc);
    const until = (1n << BigInt(this.arch.ptrSize * 8)) - 1n;
    const err = this.engine.start(pc, until, 0, 1);
    if (this.event) return this.event;
    if (err === UC_ERR.EXCEPTION && this.refused) return this.faultFromRefusal(this.refused, until);
    const next = this.engine.regRead(this.arch.regs.pc);
    // (on the fast path, the stop's refused fetch of the `until` page is no fault)
    if (err !== UC_ERR.OK && !(err === UC_ERR.EXCEPTION && this.fastPath)) {
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
