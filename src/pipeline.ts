// The one pipeline: load → emulate → unwind → symbolize → report.
// Each stage knows only the one before it; this file wires them in order and returns a
// Crash value that the report stage renders as text or JSON.

import { basename } from 'node:path';
import type { ArchName } from './arch/index.js';
import { signalNumber, type Signal } from './arch/signals.js';
import { refineFaultPc } from './emu/exact-pc.js';
import { DEFAULT_MEM_LIMIT, Machine, type MemoryFault, type OutputSink, type ProcessSpec, type RunLimits } from './emu/machine.js';
import { RunInputs } from './linux/fs.js';
import type { UnsupportedCall } from './linux/kernel.js';
import type { OverlayChanges } from './linux/vfs/export.js';
import { readElf } from './loader/elf.js';
import { planImage, selectArch } from './loader/image.js';
import { Symbolizer, type Location } from './symbolize/index.js';
import type { SymbolTable } from './symbolize/symbols.js';
import { InputError } from './loader/errors.js';
import { unwindObject } from './unwind/object.js';
import { walk, type Evidence, type FrameRule, type RawFrame, type WalkStop } from './unwind/walker.js';

export interface EmuRequest {
  path: string;
  /** How reports name the ELF (default: path as given). */
  displayPath?: string;
  arch?: string;
  argv: readonly string[];
  env: readonly string[];
  limits: RunLimits;
  output: OutputSink;
  /** Directory the guest sees as "/" (a read-only layer under its private overlay); none by default. */
  fsRoot?: string | null;
  /** --fs-limit: bytes the guest's file-system overlay may hold (default 256 MiB). */
  fsLimit?: number;
  /**
   * Called once, with what the guest changed in its file system, when the run stops
   * (from the first run, never from the exact-pc replay): --fs-out.
   */
  onFileSystem?: (changes: OverlayChanges) => void;
  /** Unknown system calls end the run (SIGSYS) instead of returning -ENOSYS. */
  strict?: boolean;
  /** Most guest memory mapped at once (default 1 GiB). */
  memLimit?: bigint;
  /** Warnings about the run itself (not the guest), for the log. */
  warn?: (msg: string) => void;
  /**
   * Stop at a pc instead of running to the end: `at` is SYMBOL, SYMBOL+OFF or an address;
   * after the first time the guest is about to execute it, `stepi` more instructions run
   * one at a time (into calls, as gdb's stepi), and the report is of the stop there
   * (outcome "breakpoint"). A guest that ends first is reported as it ended.
   */
  breakAt?: { at: string; stepi?: number };
  /**
   * With breakAt: called with the trace at the breakpoint and after every step (for the
   * every-instruction check), and the machine state there (sp, the link register, memory).
   */
  onStep?: (step: number, frames: Frame[], stop: WalkStop, state: StepState) => void;
  /**
   * Called with the finished report while the guest's memory is still there (teaching
   * views read frame records and code through it); not called after a normal exit.
   */
  inspect?: (crash: Crash, memory: GuestMemory) => void;
}

/** The stopped guest's pc, sp and link register, and its memory, at one --stepi point. */
export interface StepState {
  pc: bigint;
  sp: bigint;
  link?: bigint;
  read(addr: bigint, n: number): Uint8Array | null;
}

/** Read access to the stopped guest, for inspect. */
export interface GuestMemory {
  read(addr: bigint, n: number): Uint8Array | null;
  isCode(addr: bigint): boolean;
}

/** One frame of a report: where it is (symbolize's Location) and how the walk found it. */
export interface Frame extends Location {
  index: number;
  /** Index of the real frame (the walk's frame) this one belongs to; inlined calls share it. */
  walkIndex: number;
  pc: bigint;
  rule: FrameRule;
  /** Which evidence found the frame: the stop, CFI, prologue analysis or a heuristic. */
  evidence: Evidence;
  where?: string;
}

export type Outcome =
  | { kind: 'exit'; exitCode: number }
  | { kind: 'signal'; signal: Signal; signo: number; exitCode: number }
  | { kind: 'timeout'; exitCode: 124; hang?: boolean }
  /** Stopped where --break asked (after --stepi steps); the guest did not end. */
  | { kind: 'breakpoint'; exitCode: 0 };

export interface Fault {
  pc: bigint;
  pcExact: boolean;
  reason: string;
  memory?: MemoryFault;
  /** A signal the program sent itself: pc is just after the system call that sent it. */
  selfSent?: boolean;
}

export interface Crash {
  arch: ArchName;
  /** The emulator that ran the guest, e.g. "unicorn 2.1.4". */
  engine: string;
  ptrSize: 4 | 8;
  elf: string;
  outcome: Outcome;
  /** What stopped the guest (a fault, a trap, or where a timeout caught it); null on exit. */
  fault: Fault | null;
  frames: Frame[];
  stop: WalkStop | null;
  /** The walk reached main or a frame its CFI marks outermost. */
  complete: boolean;
  /** Whether the ELF has DWARF debug info (file:line and inlined frames come from it). */
  debugInfo: boolean;
  /** Whether the ELF has a symbol table (.symtab); without one, functions are unnamed. */
  symbolTable: boolean;
  registers: { name: string; value: bigint }[];
  /** The walk before symbolization: one entry per real frame, with the fp and record it used. */
  walk: { sp: bigint; frames: RawFrame[] } | null;
  /** System calls the guest made that crashlab does not implement (each returned -ENOSYS). */
  unsupportedSyscalls: UnsupportedCall[];
}

/**
 * A code location as --break takes it: an address (0x hex or decimal), SYMBOL or
 * SYMBOL+OFF (OFF in hex with 0x, else decimal). An unknown symbol is an input error.
 */
export function resolveLocation(text: string, symbols: SymbolTable): bigint {
  const num = (t: string) => (/^0x[0-9a-f]+$/i.test(t) ? BigInt(t) : /^[0-9]+$/.test(t) ? BigInt(t) : null);
  const direct = num(text);
  if (direct !== null) return direct;
  const m = /^([^+\s]+)(?:\+(\S+))?$/.exec(text);
  const off = m?.[2] === undefined ? 0n : num(m[2]);
  if (!m || off === null) throw new InputError(`--break ${text}: expected SYMBOL, SYMBOL+OFF or an address`);
  const f = symbols.byName(m[1]!);
  if (!f) throw new InputError(`--break ${text}: no function named ${m[1]} in the ELF's symbol table`);
  if (f.start + off >= f.end) throw new InputError(`--break ${text}: offset is past the end of ${m[1]} (${f.end - f.start} bytes)`);
  return f.start + off;
}

export async function runEmu(req: EmuRequest): Promise<Crash> {
  const elf = await readElf(req.path);
  const arch = selectArch(elf, req.arch);
  const image = planImage(elf, arch);
  const symbolizer = Symbolizer.fromElf(elf, 'gdb');
  const symbols = symbolizer.symbols;
  const spec: ProcessSpec = {
    argv: req.argv,
    env: req.env,
    output: req.output,
    fsRoot: req.fsRoot ?? null,
    fsLimit: req.fsLimit,
    strict: req.strict ?? false,
    memLimit: req.memLimit ?? DEFAULT_MEM_LIMIT,
    // The guest sees itself at the root of its own file system: an absolute path (glibc's
    // _dl_get_origin asserts that) that is the same on every host.
    exePath: '/' + basename(req.path),
    inputs: new RunInputs(),
    warn: req.warn,
  };
  const machine = Machine.create(image, spec);
  const object = unwindObject(elf, symbols, arch.name, (a, n) => machine.read(a, n));
  const cfi = object.cfi;
  const main = symbols.byName('main');
  const entryFn = object.functionAt(image.entry);
  /** The trace of the stopped guest with frame #0 at pc: the walk, then each frame's inlined calls. */
  const trace = (pc: bigint) => {
    const regs = machine.registers();
    const result = walk({
      arch,
      pc,
      sp: regs.sp,
      fp: regs.fp,
      link: regs.link,
      read: (a, n) => machine.read(a, n),
      isCode: (a) => machine.isCode(a),
      functionAt: (a) => object.functionAt(a),
      isOutermost: main ? (p) => p >= main.start && p < main.end : undefined,
      isEntry: entryFn ? (p) => p >= entryFn.start && p < entryFn.end : undefined,
      cfi: object,
      prologueRowAt: (p) => object.prologueRowAt(p),
      codeRowAt: (p) => object.codeRowAt(p),
      tailCalls: (caller, callee) => symbolizer.tailCalls(caller, callee),
      followsCall: (a) => object.followsCall(a),
      registers0: new Map(arch.dwarf.regs.map((r) => [r.dwarf, r.id === arch.regs.pc ? pc : machine.readRegister(r.id)])),
    });
    // Each raw frame becomes its inlined calls (innermost first) and then the real
    // function, all at the same pc; frames are numbered after that expansion, as gdb does.
    const frames: Frame[] = [];
    for (const f of result.frames) {
      for (const loc of f.rule === 'tailcall' ? [symbolizer.locateTailCall(f.pc)] : symbolizer.locate(f.pc, f.index > 0)) {
        frames.push({ index: frames.length, walkIndex: f.index, pc: f.pc, ...loc, rule: f.rule, evidence: f.evidence, where: f.where });
      }
    }
    return { sp: regs.sp, result, frames };
  };
  try {
    const engineWarning = machine.engineWarning;
    if (engineWarning) req.warn?.(engineWarning);
    const began = performance.now();
    // A pause (a hook asked the engine to stop) is not an outcome: run on to the deadline.
    const limits = { ...req.limits, deadline: began + req.limits.timeoutMs };
    let breakDesc = '';
    if (req.breakAt) {
      const at = resolveLocation(req.breakAt.at, symbols);
      machine.breakAt(at);
      breakDesc = req.breakAt.at;
    }
    let ev = machine.run(limits);
    while (ev.kind === 'paused') ev = machine.run(limits);
    if (ev.kind === 'breakpoint' && req.breakAt) {
      const steps = req.breakAt.stepi ?? 0;
      const report = (k: number, pc: bigint) => {
        if (!req.onStep) return;
        const t = trace(pc);
        const r = machine.registers();
        req.onStep(k, t.frames, t.result.stop, { pc, sp: r.sp, link: r.link, read: (a, n) => machine.read(a, n) });
      };
      report(0, ev.pc);
      for (let k = 1; k <= steps && ev.kind === 'breakpoint'; k++) {
        ev = machine.step();
        if (ev.kind === 'breakpoint') report(k, ev.pc);
      }
      if (steps) breakDesc += ` after ${steps} step${steps === 1 ? '' : 's'}`;
    }
    const ranMs = performance.now() - began;
    req.onFileSystem?.(machine.fileSystemChanges());
    const base = {
      arch: arch.name,
      engine: machine.engineVersion,
      ptrSize: arch.ptrSize,
      elf: req.displayPath ?? req.path,
      debugInfo: symbolizer.hasDebugInfo,
      symbolTable: symbols.functions.length > 0,
      unsupportedSyscalls: machine.unsupportedCalls,
    };
    if (ev.kind === 'exit') {
      return { ...base, outcome: { kind: 'exit', exitCode: ev.code }, fault: null, frames: [], stop: null, complete: true, registers: [], walk: null };
    }
    let fault: Fault;
    let outcome: Outcome;
    if (ev.kind === 'signal') {
      let pc = ev.pc;
      let pcExact = ev.pcExact;
      if (!pcExact && ev.memory && !machine.fastPath) {
        // Unicorn 2.0.1 only (2.1's fault pc is exact). The replay reruns what the first run did, in count mode (measured 1.1x to 3.5x
        // slower): give it four times that time, whatever --timeout was (that bounds
        // runaway guests, not this), and never less than --timeout itself: a short run's
        // replay must not lose a race with a stall of a loaded machine (it then reports the
        // start of the translated block: aarch64 gcc-O2-fp tail's 0x400904, not 0x40090c).
        const replayLimits = { timeoutMs: Math.max(4 * ranMs + 1000, req.limits.timeoutMs), maxInsns: req.limits.maxInsns };
        const r = refineFaultPc(image, spec, ev, replayLimits);
        pc = r.pc;
        pcExact = r.exact;
        if (r.note) req.warn?.(r.note);
      }
      fault = { pc, pcExact, reason: ev.reason, memory: ev.memory, ...(ev.selfSent ? { selfSent: true } : {}) };
      const signo = signalNumber(ev.signal);
      outcome = { kind: 'signal', signal: ev.signal, signo, exitCode: 128 + signo };
    } else if (ev.kind === 'breakpoint') {
      fault = { pc: ev.pc, pcExact: true, reason: breakDesc };
      outcome = { kind: 'breakpoint', exitCode: 0 };
    } else {
      fault = { pc: ev.pc, pcExact: true, reason: ev.reason };
      outcome = ev.kind === 'hang' ? { kind: 'timeout', exitCode: 124, hang: true } : { kind: 'timeout', exitCode: 124 };
    }
    const { sp, result, frames } = trace(fault.pc);
    const dw = symbolizer.warningSummary(req.displayPath ?? req.path);
    if (dw) req.warn?.(dw);
    if (cfi.warnings.length) {
      const more = cfi.warnings.length > 1 ? ` (and ${cfi.warnings.length - 1} more)` : '';
      req.warn?.(`${req.displayPath ?? req.path}: call frame information: ${cfi.warnings[0]}${more}`);
    }
    const registers = arch.regs.show.map((r) => ({ name: r.name, value: r.id === arch.regs.pc ? fault.pc : machine.readRegister(r.id) }));
    const complete = result.stop.complete;
    const crash: Crash = { ...base, outcome, fault, frames, stop: result.stop, complete, registers, walk: { sp, frames: result.frames } };
    req.inspect?.(crash, { read: (a, n) => machine.read(a, n), isCode: (a) => machine.isCode(a) });
    return crash;
  } finally {
    machine.close();
  }
}
