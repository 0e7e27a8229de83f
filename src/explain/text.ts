// The explanation as text: plain when piped, coloured on a terminal; several guests side
// by side in columns, so ABI differences line up.

import type { Crash } from '../pipeline.js';
import { headline, stopLine } from '../report/text.js';
import { recordLayout, stopPlace, type Explanation } from './explain.js';

export interface Style {
  head(s: string): string;
  addr(s: string): string;
  bad(s: string): string;
  dim(s: string): string;
}

export const PLAIN: Style = { head: (s) => s, addr: (s) => s, bad: (s) => s, dim: (s) => s };
export const COLOUR: Style = {
  head: (s) => `\x1b[1m${s}\x1b[0m`,
  addr: (s) => `\x1b[36m${s}\x1b[0m`,
  bad: (s) => `\x1b[1;31m${s}\x1b[0m`,
  dim: (s) => `\x1b[2m${s}\x1b[0m`,
};

export function explainHeadline(crash: Crash): string {
  return headline(crash).replace(/^crashlab: /, `${crash.elf}: `);
}

export function renderExplanation(e: Explanation, st: Style = PLAIN): string[] {
  const { crash, arch } = e;
  const digits = arch.ptrSize * 2;
  const h = (v: bigint | null) => (v === null ? '(unreadable)' : st.addr('0x' + v.toString(16).padStart(digits, '0')));
  const out: string[] = [st.head(explainHeadline(crash))];
  if (!crash.fault) return out;

  const what = {
    fault: 'the faulting instruction',
    delivered: 'where the signal was delivered, just after the system call that sent it',
    stopped: 'where the guest was stopped',
  }[stopPlace(e.crash)];
  out.push('', st.head(what) + (e.code ? ` (${e.code.where})` : ''));
  if (e.code) {
    e.code.insns.forEach((i, k) => {
      const bytes = [...i.bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      const line = `${k === e.code!.fault ? '=> ' : '   '}${h(i.addr)}  ${bytes.padEnd(arch.name === 'x86-64' ? 30 : 12)}  ${i.text}`;
      out.push(k === e.code!.fault ? st.bad(line) : line);
    });
  } else {
    out.push(`   no code at ${h(crash.fault.pc)}: the pc is outside every executable segment`);
  }
  const m = crash.fault.memory;
  if (m) out.push(`   ${m.access} of ${m.size} byte${m.size === 1 ? '' : 's'} at ${h(m.address)} (${m.cause})`);

  out.push('', st.head('registers'));
  const regs = crash.registers.map((r) => `${r.name.padEnd(4)}${h(r.value)}`);
  for (let i = 0; i < regs.length; i += 2) out.push('   ' + regs.slice(i, i + 2).join('   '));

  out.push('', st.head('the frame-pointer chain') + ` (${arch.name}: ${recordLayout(arch)})`);
  for (const f of e.frames) {
    out.push(`#${f.index}  ${f.names[f.names.length - 1] ?? '??'}`);
    for (const n of f.names.slice(0, -1)) out.push(st.dim(`      inlined here: ${n}`));
    out.push(`      found by: ${f.foundBy}`);
    if (f.record) {
      out.push(`      fp = ${h(f.fp)}, its record:`);
      for (const s of f.record) out.push(`        [${h(s.addr)}] ${s.what.padEnd(14)} = ${h(s.value)}`);
      if (f.size !== null) out.push(`      ${f.size} bytes from this fp up to the caller's`);
    } else {
      out.push('      no frame record of its own');
    }
  }
  const stop = stopLine(crash);
  out.push(stop ? stop : 'the chain ends at main: start-up frames are not shown');
  return out;
}

const ANSI = /\x1b\[[0-9;]*m/g;
const visible = (s: string) => s.replace(ANSI, '').length;

/** Columns side by side, each as wide as its longest line (capped), separated by a bar. */
export function sideBySide(columns: string[][], maxWidth = 72): string[] {
  const widths = columns.map((c) => Math.min(maxWidth, Math.max(...c.map(visible))));
  const rows = Math.max(...columns.map((c) => c.length));
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells = columns.map((c, i) => {
      let s = (c[r] ?? '').replace(ANSI, '');
      if (s.length > widths[i]!) s = s.slice(0, widths[i]! - 1) + '…';
      return s.padEnd(widths[i]!);
    });
    out.push(cells.join(' │ ').trimEnd());
  }
  return out;
}
