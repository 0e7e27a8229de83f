// The optimized-code corpus (guests/opt) against gdb-multiarch under qemu-user
// (test/oracle/gdb-opt-frames.json, recorded by test/oracle/record-opt.mjs crash): every
// scenario of every build (arch x C library x compiler x -O level x frame pointers) must
// give gdb's backtrace frame for frame: the same pcs, functions, files and lines, the same
// number of frames, and an honest ending (complete exactly where gdb's trace ends at main
// or at the outermost frame).
//
// Where the two differ, the difference must be this one, checked for what it is (see
// classify below); anything else fails:
//  - gdb loses musl's trail (musl's libc has no CFI and gdb's prologue analyzers misread
//    it): from some frame on gdb's trace reaches a frame at pc 0 or in no function (??), or
//    repeats the frame before up to its 64-frame limit (in musl's sift). The frames up
//    to there must be gdb's, and crashlab's walk must be complete: it reaches main (through
//    the prologue analysis), or, when main tail-called away, the end of the stack (_start,
//    where the process began, or the zero return address musl's _start leaves on aarch64).
// Names are compared after gdb's display of C symbols without DWARF (its Ada decoder; see
// gdbDisplayName). gdb's tail-call frames (DW_TAG_call_site) must be crashlab's too, marked
// as such. Where gdb ends its trace with an error ("PC not saved": rv64 clang's give_up
// calls abort without saving ra), crashlab's walk must end incomplete, saying why.
// The bulk runs go through the pipeline in this process (the same code the CLI runs,
// without a node start per case: 1,250 cases); a sample also goes through the real CLI
// (bin/crashlab) and must print the same frames.

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

type Verdict = 'match' | 'musl-lost';
const same = (a: Compared, b: Compared) => a.pc === b.pc && a.function === b.function && a.src === b.src;

/** How crashlab's trace compares with gdb's; null when the difference is not the known kind. */
function classify(got: Compared[], want: Compared[], c: Crash, musl: boolean): Verdict | null {
  if (got.length === want.length && got.every((g, i) => same(g, want[i]!))) return 'match';
  if (musl && !want.some((w) => w.function === 'main') && c.complete) {
    // gdb never reaches main; crashlab's walk is complete. They agree up to where gdb goes
    // astray, and from there gdb's trace reaches a frame at pc 0 or in no function, or
    // repeats one frame up to its 64-frame limit.
    let k = 0;
    while (k < got.length && k < want.length && same(got[k]!, want[k]!)) k++;
    const rest = want.slice(k);
    const garbage = rest.some((w) => BigInt(w.pc) === 0n || w.function === '??');
    const loops = want.length === 64 && k > 0 && rest.every((w) => same(w, want[k - 1]!));
    if (k >= 2 && (garbage || loops)) return 'musl-lost';
  }
  return null;
}
const counts: Record<Verdict, number> = { match: 0, 'musl-lost': 0 };
let tailCallFrames = 0;

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
  // 90 builds x 14 scenarios, less abort on the 10 freestanding rv32 builds.
  t.is(keys.length, 1250);
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
    if (v === 'musl-lost' || !want.stopped) t.true(c.complete, `complete (${c.stop?.reason}: ${c.stop?.detail})`);
    else if (want.stopped === 'PC not saved') t.is(c.stop?.reason, 'return-address-lost', c.stop?.detail);
    else t.false(c.complete, `gdb: Backtrace stopped: ${want.stopped}`);
    if (v === 'match' && exp[exp.length - 1]!.function === 'main') t.is(c.stop?.reason, 'reached-main');
    // A tail-call frame is found by call-site records, not on the stack, and says so.
    for (const f of c.frames) if (f.rule === 'tailcall') t.is(f.evidence, 'tailcall');
    tailCallFrames += c.frames.filter((f) => f.rule === 'tailcall').length;
  });
}

test.after('oracle counts (printed for the report)', () => {
  console.log(`optimized corpus vs gdb: ${keys.length} cases; ${counts.match} match frame for frame (${tailCallFrames} tail-call frames among them); ${counts['musl-lost']} where gdb loses musl's trail (crashlab complete, agreeing up to there)`);
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
