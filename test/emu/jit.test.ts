// Code written at run time (guests/src/jit.c) on every arch, through the real CLI: pages
// made executable by mprotect run their new bytes, a page rewritten and made executable
// again runs the rewrite (not the block translated before), self-modifying code in a
// read+write+exec page runs each version; and pages made non-executable, unmapped or
// read-only fault at once, exactly (the engine's TLB is flushed on every such change).

import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { crashlab, guest, ROOT } from '../helpers/cli.js';

const ARCHES = ['aarch64', 'x86-64', 'rv32', 'rv64'] as const;

interface Json {
  outcome: { kind: string; signal?: string; exitCode: number };
  fault: { pc: string; pcExact: boolean; reason: string; address?: string; access?: string; size?: number; cause?: string } | null;
  frames: { function: string | null; file: string | null; line: number | null; rule: string }[];
  stdout: string;
}

function run(arch: string, mode?: string): Json {
  const r = crashlab(['emu', '--json', guest(arch, 'jit'), ...(mode ? ['--', mode] : [])]);
  try {
    return JSON.parse(r.stdout) as Json;
  } catch {
    throw new Error(`jit ${arch} ${mode ?? ''}: exit ${r.code}, no JSON\n${r.stderr}`);
  }
}

/** The 1-based line of jit.c holding `text` (so the expectations follow the source). */
const SOURCE = readFileSync(path.join(ROOT, 'guests/src/jit.c'), 'utf8').split('\n');
const lineOf = (text: string) => SOURCE.findIndex((l) => l.includes(text)) + 1;

for (const arch of ARCHES) {
  test(`${arch} jit: mprotect'ed, rewritten and self-modified code runs its new bytes`, (t) => {
    const j = run(arch);
    t.is(j.stdout, 'jit: 42 7 42 7\n');
    t.deepEqual(j.outcome, { kind: 'exit', exitCode: 0 });
  });

  for (const [mode, cause, what] of [['x', 'protected', 'non-executable'], ['u', 'unmapped', 'unmapped']] as const) {
    test(`${arch} jit ${mode}: calling the code page after ${mode === 'x' ? 'mprotect(RW)' : 'munmap'} faults at the call`, (t) => {
      const j = run(arch, mode);
      t.is(j.stdout, 'jit: 42 7 42 7\n');
      t.is(j.outcome.signal, 'SIGSEGV');
      t.is(j.fault!.access, 'fetch');
      t.is(j.fault!.cause, cause);
      t.is(j.fault!.pc, j.fault!.address!);
      t.true(j.fault!.pcExact);
      t.regex(j.fault!.reason, new RegExp(`^instruction fetch from ${what} address 0x[0-9a-f]+000$`));
      t.deepEqual(j.frames.map((f) => f.function), [null, 'call', 'main']);
      t.is(j.frames[2]!.line, lineOf(mode === 'x' ? "case 'x':" : "case 'u':") + 2);
    });
  }

  test(`${arch} jit w: reading a data page after munmap faults (no stale TLB entry)`, (t) => {
    const j = run(arch, 'w');
    t.is(j.outcome.signal, 'SIGSEGV');
    t.regex(j.fault!.reason, /^read of 1 byte from unmapped address 0x[0-9a-f]+008$/);
    t.true(j.fault!.pcExact);
    t.deepEqual(j.frames.map((f) => [f.function, f.line]), [['main', lineOf('say(data[8]);')]]);
  });

  test(`${arch} jit r: writing a data page after mprotect(READ) faults`, (t) => {
    const j = run(arch, 'r');
    t.is(j.outcome.signal, 'SIGSEGV');
    t.regex(j.fault!.reason, /^write of 1 byte to read-only address 0x[0-9a-f]+010$/);
    t.is(j.fault!.cause, 'protected');
    t.deepEqual(j.frames.map((f) => [f.function, f.line]), [['main', lineOf('data[16] = 2;')]]);
  });
}
