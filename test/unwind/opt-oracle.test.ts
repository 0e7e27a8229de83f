// The optimized-code corpus (guests/opt) against gdb-multiarch under qemu-user
// (test/oracle/gdb-opt-frames.json, recorded by test/oracle/record-opt.mjs crash): every
// scenario of every build (arch x C library x compiler x -O level x frame pointers) must
// give gdb's backtrace frame for frame: the same pcs, functions, files and lines, the same
// number of frames, and an honest ending (complete exactly where gdb's trace ends at main
// or at the outermost frame).
//
// Where the two differ, the difference must be one of these, each checked for what it is
// (see classify below); anything else fails:
//  - gdb displays a C symbol without DWARF through its Ada decoder (gdb 13: a name with no
//    leading '_' and no capital loses a trailing ".N" and shows a last alphabetic ".x" as
//    "[x]": msort_with_tmp.part.0 is printed msort_with_tmp.part). crashlab prints the
//    ELF symbol's name; the names must be the same after gdb's decoding.
//  - gdb loses musl's trail (musl's libc has no CFI and gdb's prologue analyzers misread
//    it): gdb prints a frame at pc 0 or some other pc outside any function, or runs on to
//    its 64-frame limit. Frames up to there must be gdb's, and crashlab's walk must be
//    complete (it reaches main through the prologue analysis).
//  - gdb's tail-call frames: gdb shows a frame for a function that tail-called the next one
//    (from DWARF's DW_TAG_call_site records); crashlab does not synthesize those yet. The
//    rest of the trace must be gdb's, in order. The bulk runs go through the pipeline in this process (the same code the
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

/** gdb 13's display of a C symbol name without DWARF (its Ada decoder; measured, see the file comment). */
export function gdbDisplayName(n: string): string {
  if (n.startsWith('_') || /[A-Z]/.test(n) || !n.includes('.') || n === 'main.main') return n;
  let suffix = '';
  const m = /\.([a-z_][a-z0-9_]*)$/.exec(n);
  if (m) {
    suffix = `[${m[1]}]`;
    n = n.slice(0, m.index);
  }
  return n.replace(/\.\d+$/, '') + suffix;
}

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
  return c.frames.map((f) => ({ pc: hex(f.pc), function: f.file || f.function === null ? f.function ?? '??' : gdbDisplayName(f.function), src: f.file ? `${f.file}:${f.line}` : null }));
}

type Verdict = 'match' | 'musl-lost' | 'tail-call';
const same = (a: Compared, b: Compared) => a.pc === b.pc && a.function === b.function && a.src === b.src;

/** How crashlab's trace compares with gdb's; null when the difference is none of the known kinds. */
function classify(got: Compared[], want: Compared[], c: Crash, musl: boolean): Verdict | null {
  if (got.length === want.length && got.every((g, i) => same(g, want[i]!))) return 'match';
  if (musl && !want.some((w) => w.function === 'main')) {
    // gdb never reaches main; crashlab does (or ends at _start when main tail-called away),
    // and the two agree on the frames before gdb goes astray.
    let k = 0;
    while (k < got.length && k < want.length && same(got[k]!, want[k]!)) k++;
    const ends = c.complete || got[got.length - 1]!.function === '_start';
    if (k >= 2 && ends) return 'musl-lost';
  }
  if (want.length > got.length && same(got[0]!, want[0]!)) {
    let i = 0;
    for (const w of want) if (i < got.length && same(got[i]!, w)) i++;
    if (i === got.length) return 'tail-call';
  }
  return null;
}
const counts: Record<Verdict, number> = { match: 0, 'musl-lost': 0, 'tail-call': 0 };

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
  // 1,250 cases less the 4 aarch64 musl qsort builds (-O0/-O1, with and without fp) where
  // gdb's backtrace never finishes (it loops in musl's sift without CFI): not recorded.
  t.is(keys.length, 1246);
  t.is(gdbDisplayName('msort_with_tmp.part.0'), 'msort_with_tmp.part');
  t.is(gdbDisplayName('__pthread_kill_implementation.constprop.0'), '__pthread_kill_implementation.constprop.0');
  t.is(gdbDisplayName('foo.part.0.cold'), 'foo.part[cold]');
});

for (const key of keys) {
  const [arch, cfg, scenario] = key.split('/') as [string, string, string];
  const want = oracle[key]!;
  test(`${key}: crashlab's trace is gdb's`, async (t) => {
    const c = await run(`guests/opt/build/${arch}/${cfg}.elf`, scenario);
    t.is(c.outcome.kind === "signal" ? (c.outcome.signal as string) : "none", want.signal, "signal");
    const got = crashlabFrames(c);
    const exp = gdbFrames(want);
    const v = classify(got, exp, c, cfg.startsWith('musl'));
    if (v === null) t.deepEqual(got, exp);
    else counts[v]++;
    t.not(v, null);
    if (!want.stopped && v !== 'musl-lost') t.true(c.complete, `complete (${c.stop?.reason}: ${c.stop?.detail})`);
    if (v === 'match' && exp[exp.length - 1]!.function === 'main') t.is(c.stop?.reason, 'reached-main');
  });
}

test.after('oracle counts (printed for the report)', () => {
  console.log(`optimized corpus vs gdb: ${keys.length} cases; ${counts.match} match frame for frame; ${counts['musl-lost']} where gdb loses musl's trail (crashlab complete, agreeing up to there); ${counts['tail-call']} differ only by gdb's tail-call frames`);
});

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
