// The text report: what a person reads on stderr, and what goldens hold.

import type { Crash } from '../pipeline.js';

const pad = (v: bigint, digits: number) => '0x' + v.toString(16).padStart(digits, '0');

export function headline(c: Crash): string {
  const o = c.outcome;
  switch (o.kind) {
    case 'exit':
      return `crashlab: ${c.arch} guest exited with status ${o.exitCode}`;
    case 'signal':
      return `crashlab: ${c.arch} guest received ${o.signal}: ${c.fault!.reason}`;
    case 'timeout':
      return `crashlab: ${c.arch} guest timed out: ${c.fault!.reason}`;
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
  for (const f of c.frames) {
    const name = f.function === null ? '??' : `${f.function}+0x${f.offset!.toString(16)}`;
    lines.push(`${('#' + f.index).padEnd(3)} ${pad(f.pc, digits)} in ${name}`);
  }
  const stop = stopLine(c);
  if (stop) lines.push(stop);
  if (c.fault && !c.fault.pcExact) lines.push('(frame #0 pc is the start of its translated block; the exact instruction could not be recovered)');
  return lines.join('\n') + '\n';
}
