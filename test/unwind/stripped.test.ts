// Stripped programs (guests/opt/build/<arch>/stripped/: `make -C guests/opt stripped`, the
// corpus ELFs with no .symtab and no DWARF; the rv32 ones lose their only CFI, .debug_frame,
// too). Functions are unnamed, their bounds come from FDEs and from the entries the code
// names (src/unwind/entries.ts). For every scenario the stripped trace must be the same
// walk as the unstripped one: the same pcs frame for frame (no DWARF: no inlined or
// tail-call frames), going on past main (which has no name now) to _start, where the
// process began. A walk that cannot go on must stop honestly (incomplete, with its reason)
// at a frame of the unstripped trace: never a pc the unstripped walk does not have.

import test from 'ava';
import path from 'node:path';
import { runEmu, type Crash } from '../../src/pipeline.js';
import { ROOT } from '../helpers/cli.js';

const BUILDS = ['x86-64/musl-gcc-O2', 'x86-64/gcc-O2', 'aarch64/musl-gcc-O2', 'rv64/gcc-O2', 'rv32/clang-O0', 'rv32/clang-O2'];
const SCENARIOS = ['chain', 'shrink', 'cold', 'tail', 'maintail', 'noreturn', 'vla', 'alloca', 'leaf', 'fnptr', 'qsort', 'recurse', 'inline', 'abort'];

async function run(elf: string, scenario: string): Promise<Crash> {
  return runEmu({ path: path.join(ROOT, elf), displayPath: elf, argv: [elf, scenario], env: [], limits: { timeoutMs: 20_000, maxInsns: 0 }, output: () => {} });
}

/** One pc per real frame (not inlined calls, not tail-call frames). */
const realPcs = (c: Crash) => c.frames.filter((f, i) => f.rule !== 'tailcall' && (i === 0 || c.frames[i - 1]!.walkIndex !== f.walkIndex)).map((f) => f.pc);

const tally = { traces: 0, complete: 0, stopped: 0 };

for (const build of BUILDS) {
  const [arch, cfg] = build.split('/') as [string, string];
  test(`${build}: stripped, every scenario walks the unstripped trace`, async (t) => {
    for (const scenario of SCENARIOS) {
      if (scenario === 'abort' && arch === 'rv32') continue;
      const full = await run(`guests/opt/build/${arch}/${cfg}.elf`, scenario);
      const bare = await run(`guests/opt/build/${arch}/stripped/${cfg}.elf`, scenario);
      t.is(bare.outcome.kind, full.outcome.kind, scenario);
      t.false(bare.symbolTable || bare.debugInfo, 'really stripped');
      t.true(bare.frames.every((f) => f.function === null), `${scenario}: no names`);
      const want = realPcs(full);
      const got = realPcs(bare);
      const key = (p: bigint[]) => p.map((x) => x.toString(16)).join(' ');
      tally.traces++;
      if (bare.complete) {
        tally.complete++;
        // Past main: the frames up to _start, the last one in the entry point's function.
        t.is(key(got.slice(0, want.length)), key(want), `${scenario}: the unstripped frames first`);
        t.true(got.length >= want.length, scenario);
        t.true(['outermost', 'end-of-chain'].includes(bare.stop!.reason), `${scenario}: ${bare.stop!.reason}`);
      } else {
        tally.stopped++;
        t.is(key(want.slice(0, got.length)), key(got), `${scenario}: stopped (${bare.stop!.detail}) on the unstripped trace`);
        t.truthy(bare.stop!.detail);
      }
    }
  });
}

test.after('stripped counts (printed for the report)', () => {
  console.log(`stripped programs: ${tally.traces} traces; ${tally.complete} complete (the unstripped frames, then on to _start); ${tally.stopped} stopped honestly on the unstripped trace`);
});

test('the text report says the program has neither symbols nor debug info', async (t) => {
  const c = await run('guests/opt/build/x86-64/stripped/musl-gcc-O2.elf', 'chain');
  const { renderText } = await import('../../src/report/text.js');
  t.regex(renderText(c), /\(no debug info and no symbol table in .*: functions are unnamed/);
});
