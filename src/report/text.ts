// The text report: what a person reads on stderr, and what goldens hold.

import type { Crash, Frame } from '../pipeline.js';
import { locationText } from '../symbolize/index.js';

const pad = (v: bigint, digits: number) => '0x' + v.toString(16).padStart(digits, '0');

export function headline(c: Crash): string {
  const o = c.outcome;
  switch (o.kind) {
    case 'exit':
      return `crashlab: ${c.arch} guest exited with status ${o.exitCode}`;
    case 'signal':
      return `crashlab: ${c.arch} guest received ${o.signal}: ${c.fault!.reason}`;
    case 'timeout':
      return o.hang ? `crashlab: ${c.arch} guest hung: ${c.fault!.reason}` : `crashlab: ${c.arch} guest timed out: ${c.fault!.reason}`;
    case 'breakpoint':
      return `crashlab: ${c.arch} guest stopped at breakpoint ${c.fault!.reason}`;
  }
}

export function stopLine(c: Crash): string | null {
  const s = c.stop;
  if (!s || c.complete) return null;
  if (s.reason === 'truncated') return `(${s.detail})`;
  return `(backtrace stopped: ${s.detail})`;
}

export function renderText(c: Crash): string {
  const lines = [headline(c)];
  const digits = c.ptrSize * 2;
  c.frames.forEach((f, i) => {
    // A caller's mark goes on the first line with its pc (its innermost inlined call, if any).
    const first = f.walkIndex > 0 && (i === 0 || c.frames[i - 1]!.walkIndex !== f.walkIndex);
    lines.push(frameLine(f, digits, first ? evidenceMark(f) : null));
  });
  const stop = stopLine(c);
  if (stop) lines.push(stop);
  if (c.frames.length && !c.debugInfo) lines.push(c.symbolTable ? `(no debug info in ${c.elf}: frames are named from the ELF symbol table only)` : `(no debug info and no symbol table in ${c.elf}: functions are unnamed, their bounds taken from call frame information and the code)`);
  if (c.fault && !c.fault.pcExact) lines.push('(frame #0 pc is where the emulator reported the fault; the exact instruction could not be recovered)');
  const u = unsupportedLine(c);
  if (u) lines.push(u);
  return lines.join('\n') + '\n';
}

/**
 * "#1  0x0000000000011252 in bt_mid+0x1a at src/null-write.c:12:5 [cfi]": "(inlined)" for
 * inlined calls, and the evidence mark when there is one.
 */
export function frameLine(f: Pick<Frame, 'index' | 'pc' | 'function' | 'offset' | 'file' | 'line' | 'column' | 'inlined'>, digits: number, mark: string | null = null): string {
  return `${('#' + f.index).padEnd(3)} ${pad(f.pc, digits)} in ${locationText(f)}${mark ? ` [${mark}]` : ''}`;
}

/**
 * How the walk found a caller frame, as its text line ends: the evidence (cfi, prologue,
 * epilogue, tail call) or, for a heuristic, its rule (frame record, link register, stack
 * slot). Frame #0 has none: it is where the guest stopped.
 */
export function evidenceMark(f: Pick<Frame, 'rule' | 'evidence'>): string | null {
  switch (f.evidence) {
    case 'stop':
      return null;
    case 'tailcall':
      return 'tail call';
    case 'heuristic':
      return f.rule.replace('-', ' ');
    default:
      return f.evidence;
  }
}

/** "(system calls crashlab does not implement returned ENOSYS: clone (220) x1)". */
export function unsupportedLine(c: Crash): string | null {
  if (!c.unsupportedSyscalls.length) return null;
  const list = c.unsupportedSyscalls.map((u) => `${u.name} (${u.number})${u.count > 1 ? ` x${u.count}` : ''}`).join(', ');
  return `(system calls crashlab does not implement returned ENOSYS: ${list})`;
}
