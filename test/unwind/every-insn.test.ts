// Exact at every instruction: for each build in test/oracle/gdb-opt-steps.json (every -O
// level per arch: gcc for glibc rv64, aarch64 and x86-64 without frame pointers, clang -O2
// too, clang for freestanding rv32), gdb-multiarch under qemu-user stopped at walk_all
// (guests/opt: it calls shrink, validate and its cold part, tail_a, vla, with_alloca,
// leaf_caller, recurse and inline_scenario, each to its return) and recorded the whole
// backtrace after every stepi until walk_all returned. crashlab stops at the same place
// (--break walk_all) and after each single step (--stepi) gives its whole trace.
//
// Two checks at every point:
//  1. The truth. Stepping one instruction at a time shows every call and return: after a
//     step the link register (x86-64: the word pushed at sp) holds the address just past
//     the instruction stepped while pc went elsewhere (a call), or pc is the return address
//     on top of the calls still open (a return). crashlab's real frames (one per walk
//     frame: not its inlined calls, not its tail-call frames) must be exactly frame #0 and
//     those open return addresses, innermost first, then the frames above walk_all, and the
//     walk must be complete (at main). This needs no gdb, and holds at all 9,323 points.
//  2. gdb. Every frame's pc, function, file and line must be gdb's (tail-call frames
//     included), except where gdb itself is wrong: clang 14's CFI is stale in RISC-V
//     epilogues (none is emitted: after `addi sp` the row still puts the frame 16 bytes up;
//     at -O0 the CFA is s0-based and s0 is reloaded first) and in AArch64 prologues,
//     epilogues and shrink-wrapped early returns (its tables are exact only at call
//     sites). There frame #0's CFI row disagrees with what the code from pc to the return
//     (or from the entry to pc) proves; gdb follows the row (to a garbage pc, or skipping
//     or repeating a frame), crashlab uses the code's row (evidence "epilogue" or
//     "prologue"). Such a point counts only if frame #0 is gdb's, crashlab's frame #1 was
//     found by that evidence, and gdb's pcs are not the true ones.
// The test prints the counts, and fails on any other difference.

import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runEmu, type Frame, type StepState } from '../../src/pipeline.js';
import type { WalkStop } from '../../src/unwind/walker.js';
import { crashlab, ROOT } from '../helpers/cli.js';

interface GdbFrame { pc: string; function: string; file?: string; line?: number }
interface StepCase { steps: number; frames: GdbFrame[]; trace: (number[] | { frames: number[] })[] }

const oracle = JSON.parse(readFileSync(path.join(ROOT, 'test/oracle/gdb-opt-steps.json'), 'utf8')) as Record<string, StepCase>;
const hex = (v: bigint | string) => '0x' + BigInt(v).toString(16);
const key = (pc: string, fn: string | null, file: string | null | undefined, line: number | null | undefined) => `${hex(pc)} ${fn ?? '??'} ${file ? `${file}:${line}` : '-'}`;
const pcOf = (k: string) => BigInt(k.split(' ')[0]!);

type Verdict = 'match' | 'gdb-stale-cfi';

/** One point as crashlab saw it. */
interface Point {
  frames: string[];
  /** One pc per real frame (not inlined calls, not tail-call frames), innermost first. */
  real: bigint[];
  /** How crashlab found frame #1 (the evidence that unwound frame #0). */
  evidence1: string | undefined;
  stop: WalkStop;
}

/**
 * The calls open at each step, from the machine state after each one: a call leaves the
 * address just past it in the link register (x86-64: pushed at sp) and goes elsewhere; a
 * return goes to the innermost open call's return address.
 */
export class CallTracker {
  private readonly open: bigint[] = [];
  private prev: StepState | null = null;
  constructor(private readonly arch: string) {}

  step(st: StepState): bigint[] {
    const p = this.prev;
    if (p) {
      const top = this.open[this.open.length - 1];
      if (top !== undefined && st.pc === top) this.open.pop();
      else if (this.arch === 'x86-64') {
        const b = st.sp === p.sp - 8n ? st.read(st.sp, 8) : null;
        const ra = b ? b.reduce((v, x, i) => v | (BigInt(x) << BigInt(8 * i)), 0n) : null;
        if (ra !== null && ra > p.pc && ra <= p.pc + 15n && st.pc !== ra) this.open.push(ra);
      } else if (st.link !== undefined && st.link > p.pc && st.link <= p.pc + 4n && st.pc !== st.link) {
        this.open.push(st.link);
      }
    }
    this.prev = st;
    return [...this.open].reverse();
  }
}

function realFrames(frames: Frame[]): bigint[] {
  const out: bigint[] = [];
  let last = -1;
  for (const f of frames) {
    if (f.rule === 'tailcall' || f.walkIndex === last) continue;
    out.push(f.pc);
    last = f.walkIndex;
  }
  return out;
}

/** How crashlab's trace at one point compares with gdb's; null when the difference is not the known one. */
function classify(got: Point, want: string[]): Verdict | null {
  if (got.frames.length === want.length && got.frames.every((g, i) => g === want[i])) return 'match';
  const gdbPcs = want.map(pcOf);
  const ourPcs = got.frames.map(pcOf);
  const gdbWrong = gdbPcs.length !== ourPcs.length || gdbPcs.some((p, i) => p !== ourPcs[i]);
  if (got.frames[0] === want[0] && gdbWrong && (got.evidence1 === 'epilogue' || got.evidence1 === 'prologue')) return 'gdb-stale-cfi';
  return null;
}

const counts: Record<Verdict, number> = { match: 0, 'gdb-stale-cfi': 0 };
const perBuild: Record<string, { points: number; match: number; truth: number }> = {};
let tailCallPoints = 0;

for (const [k, c] of Object.entries(oracle)) {
  const [arch, cfg] = k.split('/') as [string, string];
  test.serial(`${k}: crashlab's trace is the true stack, and gdb's, at every instruction of walk_all and its callees`, async (t) => {
    const elf = `guests/opt/build/${arch}/${cfg}.elf`;
    const got: Point[] = [];
    const truth: bigint[][] = [];
    const calls = new CallTracker(arch);
    let above: bigint[] = [];
    await runEmu({
      path: path.join(ROOT, elf),
      displayPath: elf,
      argv: [elf, 'walk'],
      env: [],
      limits: { timeoutMs: 60_000, maxInsns: 0 },
      output: () => {},
      breakAt: { at: 'walk_all', stepi: c.steps - 1 },
      onStep: (n, frames, stop, st) => {
        const real = realFrames(frames);
        const open = calls.step(st);
        if (n === 0) above = real.slice(1); // walk_all's callers, at its first instruction
        truth[n] = [st.pc, ...open, ...above];
        got[n] = { frames: frames.map((f) => key(hex(f.pc), f.function, f.file, f.line)), real, evidence1: frames.find((f) => f.walkIndex === 1)?.evidence, stop };
        if (frames.some((f) => f.rule === 'tailcall')) tailCallPoints++;
      },
    });
    t.is(got.length, c.steps, 'crashlab stepped as far as gdb');
    const a = (perBuild[k] ??= { points: 0, match: 0, truth: 0 });
    const wrong: string[] = [];
    const unexplained: string[] = [];
    c.trace.forEach((row, n) => {
      const g = got[n]!;
      a.points++;
      const exact = g.real.length === truth[n]!.length && g.real.every((p, i) => p === truth[n]![i]) && g.stop.complete && g.stop.reason === 'reached-main';
      if (exact) a.truth++;
      else wrong.push(`step ${n}: crashlab ${g.real.map(hex).join(' ')} (${g.stop.reason}), true stack ${truth[n]!.map(hex).join(' ')}`);
      const want = (Array.isArray(row) ? row : row.frames).map((i) => c.frames[i]!).map((f) => key(f.pc, f.function, f.file, f.line));
      const v = classify(g, want);
      if (v === null) unexplained.push(`step ${n}:\n  crashlab: ${g.frames.join(' | ')}\n  gdb:      ${want.join(' | ')}`);
      else {
        counts[v]++;
        if (v === 'match') a.match++;
      }
    });
    t.deepEqual(wrong.slice(0, 5), [], `${wrong.length} points where crashlab's real frames are not the true stack`);
    t.deepEqual(unexplained.slice(0, 5), [], `${unexplained.length} points differ from gdb`);
  });
}

test.serial('every-instruction counts (printed for the report)', (t) => {
  const points = Object.values(perBuild).reduce((s, a) => s + a.points, 0);
  const truth = Object.values(perBuild).reduce((s, a) => s + a.truth, 0);
  t.log(`every-instruction check: ${points} (instruction, arch, level) points; crashlab gives the true stack at ${truth}; ${counts.match} match gdb frame for frame (${tailCallPoints} with tail-call frames); ${counts['gdb-stale-cfi']} where gdb follows stale clang CFI in frame #0 and crashlab the code's row`);
  for (const [k, a] of Object.entries(perBuild)) t.log(`  ${k}: ${a.match}/${a.points} as gdb, ${a.truth}/${a.points} true`);
  t.is(points, Object.values(oracle).reduce((s, c) => s + c.steps, 0));
  t.is(truth, points);
  t.is(counts.match + counts['gdb-stale-cfi'], points);
});

test('the CLI stops where the pipeline does: --break walk_all --stepi N is gdb\'s step N', (t) => {
  const c = oracle['x86-64/gcc-O2']!;
  for (const n of [0, 5, 40, 88]) {
    const r = crashlab(['emu', '--json', '--break', 'walk_all', '--stepi', String(n), 'guests/opt/build/x86-64/gcc-O2.elf', '--', 'walk']);
    t.is(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout) as { outcome: { kind: string }; frames: { pc: string; function: string | null; file: string | null; line: number | null; evidence: string }[] };
    t.is(rep.outcome.kind, 'breakpoint');
    const row = c.trace[n]!;
    const want = (Array.isArray(row) ? row : row.frames).map((i) => c.frames[i]!).map((f) => key(f.pc, f.function, f.file, f.line));
    t.deepEqual(rep.frames.map((f) => key(f.pc, f.function, f.file, f.line)), want, `step ${n}`);
    // Step 88 is in tail_b, jumped to from tail_a: gdb's frame #1 is tail_a, a tail-call frame.
    if (n === 88) t.is(rep.frames[1]!.evidence, 'tailcall');
  }
});
