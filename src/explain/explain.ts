// `crashlab explain`: the backtrace walked out loud. For each frame, its frame pointer,
// the record that pointer addresses (both slots, with their addresses and contents), which
// rule found the frame (the fault itself, a frame record, the link register, a stack
// slot), and how far its caller's frame pointer is; then the faulting instruction in its
// neighbourhood, disassembled, and the registers that matter.

import { archByName, type Arch } from '../arch/index.js';
import type { Crash, GuestMemory } from '../pipeline.js';
import { readPointer, type RawFrame } from '../unwind/walker.js';
import { disassemble, type Insn } from './disasm.js';
import { locationText } from '../symbolize/index.js';

export interface Slot {
  what: 'caller fp' | 'return address';
  addr: bigint;
  value: bigint | null;
}

export interface FrameStory {
  index: number;
  /** "bt_leaf+0x1a at src/null-write.c:7:8", with inlined calls first. */
  names: string[];
  pc: bigint;
  fp: bigint | null;
  foundBy: string;
  /** The record this frame's fp addresses, when the frame has one. */
  record: Slot[] | null;
  /** Bytes from this frame's fp to its caller's. */
  size: bigint | null;
}

export interface StackWord {
  addr: bigint;
  value: bigint | null;
}

export interface Explanation {
  crash: Crash;
  arch: Arch;
  frames: FrameStory[];
  code: { insns: Insn[]; fault: number; where: string } | null;
  /** The stack from sp up to just past the outermost record, one pointer-sized word each (at most 512). */
  stack: StackWord[];
}

/** Most stack words a view shows. */
export const MAX_STACK_WORDS = 512;

const hex = (v: bigint) => '0x' + v.toString(16);

function offsetText(n: number): string {
  return n === 0 ? 'fp' : n > 0 ? `fp+${n}` : `fp-${-n}`;
}

/** "caller fp at [fp], return address at [fp+8]": from the arch table's numbers. */
export function recordLayout(arch: Arch): string {
  const slots = [
    { n: arch.record.callerFp, t: "the caller's fp" },
    { n: arch.record.returnAddress, t: 'the return address' },
  ].sort((a, b) => a.n - b.n);
  return slots.map((s) => `${s.t} at [${offsetText(s.n)}]`).join(', ');
}

/**
 * What frame #0's pc is: the faulting (or trapping) instruction, the instruction after the
 * system call that sent a signal the program raised itself, or where a timed-out or hung
 * guest was stopped. The teaching views word frame #0 by this.
 */
export function stopPlace(crash: Crash): 'fault' | 'delivered' | 'stopped' {
  if (crash.fault?.selfSent) return 'delivered';
  return crash.outcome.kind === 'timeout' || crash.outcome.kind === 'breakpoint' ? 'stopped' : 'fault';
}

const FRAME0_FOUND_BY = {
  fault: 'where the guest stopped (the faulting pc)',
  delivered: 'where the guest stopped (the pc the signal was delivered at)',
  stopped: 'where the guest stopped (its pc when it was stopped)',
} as const;

function foundBy(f: RawFrame, frames: RawFrame[], crash: Crash): string {
  // The frame that was unwound to find f: the one before it, past any tail-call frames.
  let callee = frames.indexOf(f) - 1;
  if (f.rule !== 'tailcall') while (callee > 0 && frames[callee]!.rule === 'tailcall') callee--;
  switch (f.rule) {
    case 'fault':
      return FRAME0_FOUND_BY[stopPlace(crash)];
    case 'frame-record':
      return `the return address in the record of #${callee} (fp ${hex(f.recordAt!)})`;
    case 'link-register':
      return `the link register ${f.where} (frame #0 had not saved a record)`;
    case 'stack-slot':
      return `the stack slot ${f.where} the call pushed (frame #0 had not saved a record)`;
    case 'cfi':
      return `the call frame information of #${callee} (${f.where}): it keeps no frame record`;
    case 'prologue':
      return `the decoded prologue of #${callee} (${f.where}): it has neither a frame record nor call frame information`;
    case 'epilogue':
      return `the code of #${callee} from its pc to its return (${f.where})`;
    case 'tailcall':
      return `DWARF call-site records: this function tail-called #${callee}'s, so it is not on the stack (${f.where})`;
  }
}

/**
 * Build the explanation from a finished report while the guest's memory is still readable.
 * Every memory read happens before the first await (the code bytes are read before they
 * are disassembled), so this may be called from pipeline's synchronous inspect hook.
 */
export async function explain(crash: Crash, mem: GuestMemory): Promise<Explanation> {
  const arch = archByName(crash.arch)!;
  const raw = crash.walk?.frames ?? [];
  const ptr = arch.ptrSize;
  const readPtr = (a: bigint) => readPointer(mem.read, a, ptr);
  const frames: FrameStory[] = raw.map((f, i) => {
    const names = crash.frames
      .filter((x) => x.walkIndex === i)
      .map(locationText);
    const next = raw[i + 1];
    // A frame has its own record when its caller was found through it (or, for the last
    // frame, when its fp is readable as one).
    const hasRecord = f.fp !== null && f.fp !== 0n && (next ? next.rule === 'frame-record' : true);
    const record: Slot[] | null = hasRecord
      ? [
          { what: 'caller fp' as const, addr: f.fp! + BigInt(arch.record.callerFp), value: readPtr(f.fp! + BigInt(arch.record.callerFp)) },
          { what: 'return address' as const, addr: f.fp! + BigInt(arch.record.returnAddress), value: readPtr(f.fp! + BigInt(arch.record.returnAddress)) },
        ].sort((a, b) => (a.addr < b.addr ? 1 : -1))
      : null;
    const callerFp = record?.find((s) => s.what === 'caller fp')?.value ?? null;
    const size = callerFp !== null && f.fp !== null && callerFp > f.fp ? callerFp - f.fp : null;
    return { index: i, names, pc: f.pc, fp: hasRecord ? f.fp : null, foundBy: foundBy(f, raw, crash), record, size };
  });
  const stack = stackWords(crash, frames, ptr, readPtr);
  return { crash, arch, frames, stack, code: await codeAround(crash, arch, mem) };
}

function stackWords(crash: Crash, frames: FrameStory[], ptr: number, readPtr: (a: bigint) => bigint | null): StackWord[] {
  const sp = crash.walk?.sp;
  if (sp === undefined) return [];
  let top = sp;
  for (const f of frames) for (const s of f.record ?? []) if (s.addr + BigInt(ptr) > top) top = s.addr + BigInt(ptr);
  const words: StackWord[] = [];
  for (let a = sp - (sp % BigInt(ptr)); a < top && words.length < MAX_STACK_WORDS; a += BigInt(ptr)) words.push({ addr: a, value: readPtr(a) });
  return words;
}

async function codeAround(crash: Crash, arch: Arch, mem: GuestMemory): Promise<Explanation['code']> {
  const fault = crash.fault;
  if (!fault) return null;
  const pc = fault.pc;
  const outer = crash.frames.find((f) => f.pc === pc && !f.inlined);
  if (!mem.isCode(pc)) return null;
  const start = outer?.offset !== null && outer?.offset !== undefined ? pc - outer.offset : pc;
  const from = pc - start > 256n ? pc - 64n : start; // long functions: decode close to pc
  const bytes = mem.read(from, Number(pc - from) + 16) ?? mem.read(from, Number(pc - from) + 4);
  if (!bytes) return null;
  const insns = await disassemble(arch, bytes, from);
  const at = insns.findIndex((i) => i.addr === pc);
  if (at < 0) return null;
  const where = outer ? locationText(outer) : hex(pc);
  const lo = Math.max(0, at - 4);
  return { insns: insns.slice(lo, at + 3), fault: at - lo, where };
}
