// Tail-call frames: gdb's chain search (src/unwind/tailcall.ts) on small graphs, the call
// sites the DWARF reader finds in the optimized corpus (src/symbolize/dwarf/callsites.ts),
// and seeded corrupt DWARF (a search never throws).

import test from 'ava';
import path from 'node:path';
import { runEmu } from '../../src/pipeline.js';
import { DwarfInfo } from '../../src/symbolize/dwarf/index.js';
import { Symbolizer } from '../../src/symbolize/index.js';
import { NoChain, tailCallFrames, type CallSiteGraph } from '../../src/unwind/tailcall.js';
import { ROOT } from '../helpers/cli.js';
import { rng } from '../helpers/rng.js';
import { cloneElf, loadElf } from '../symbolize/dwarf/util.js';

interface Site { pc: bigint; to: bigint[] | 'expr' }

/**
 * A program as call sites: `funcs` maps a function's entry to its tail-call sites (functions
 * that list all their calls); `calls` are the ordinary call sites, by return pc. A function's
 * code is [entry, entry + 0x100).
 */
function graph(funcs: Record<number, Site[]>, calls: Site[] = []): CallSiteGraph<Site> {
  const all = [...calls, ...Object.values(funcs).flat()];
  return {
    siteAt: (pc) => all.find((s) => s.pc === pc) ?? null,
    targets: (s) => {
      if (s.to === 'expr') throw new NoChain('indirect');
      return s.to;
    },
    tailCallsOf: (addr) => {
      const list = funcs[Number(addr)];
      if (!list) throw new NoChain('not a function entry');
      return list;
    },
    functionStart: (pc) => pc & ~0xffn,
  };
}

const A = 0x1000n, B = 0x2000n, C = 0x3000n, D = 0x4000n, E = 0x5000n;

test('a direct call: no tail-call frames', (t) => {
  const g = graph({ [Number(C)]: [] }, [{ pc: 0x9010n, to: [C] }]);
  t.deepEqual(tailCallFrames(g, 0x9010n, C + 4n), []);
});

test('A tail-calls B, B tail-calls C: frames B then A, each at its site\'s return pc', (t) => {
  const g = graph({ [Number(A)]: [{ pc: A + 0x10n, to: [B] }], [Number(B)]: [{ pc: B + 0x20n, to: [C] }], [Number(C)]: [] }, [{ pc: 0x9010n, to: [A] }]);
  t.deepEqual(tailCallFrames(g, 0x9010n, C + 4n), [B + 0x20n, A + 0x10n]);
});

test('two ways from A to C: ambiguous, nothing is shown', (t) => {
  const g = graph({
    [Number(A)]: [{ pc: A + 0x10n, to: [B] }, { pc: A + 0x18n, to: [D] }],
    [Number(B)]: [{ pc: B + 0x20n, to: [C] }],
    [Number(D)]: [{ pc: D + 0x20n, to: [C] }],
  }, [{ pc: 0x9010n, to: [A] }]);
  t.deepEqual(tailCallFrames(g, 0x9010n, C + 4n), []);
});

test('two ways that share their first and last sites: those are shown, the middle is not', (t) => {
  const g = graph({
    [Number(A)]: [{ pc: A + 0x10n, to: [B] }],
    [Number(B)]: [{ pc: B + 0x20n, to: [D] }, { pc: B + 0x28n, to: [E] }],
    [Number(D)]: [{ pc: D + 0x20n, to: [C] }],
    [Number(E)]: [{ pc: E + 0x20n, to: [D] }],
  }, [{ pc: 0x9010n, to: [A] }]);
  // Chains: A+10 B+20 D+20 and A+10 B+28 E+20 D+20: callers [A+10], callees [D+20].
  t.deepEqual(tailCallFrames(g, 0x9010n, C + 4n), [D + 0x20n, A + 0x10n]);
});

test('a direct call beside a tail-call path is ambiguous too', (t) => {
  const g = graph({ [Number(A)]: [{ pc: A + 0x10n, to: [C] }], [Number(C)]: [] }, [{ pc: 0x9010n, to: [A, C] }]);
  t.deepEqual(tailCallFrames(g, 0x9010n, C + 4n), []); // the target C is exact: a direct call, so no chain
  const g2 = graph({ [Number(A)]: [{ pc: A + 0x10n, to: [C] }, { pc: A + 0x18n, to: [B] }], [Number(B)]: [{ pc: B + 0x10n, to: [C] }] }, [{ pc: 0x9010n, to: [A] }]);
  t.deepEqual(tailCallFrames(g2, 0x9010n, C + 4n), []); // [A+10] and [A+18, B+10] share nothing at either end
});

test('anything unknowable ends the search: an indirect tail call, a target that is no function\'s entry, no call site', (t) => {
  const indirect = graph({ [Number(A)]: [{ pc: A + 0x10n, to: 'expr' }, { pc: A + 0x18n, to: [C] }] }, [{ pc: 0x9010n, to: [A] }]);
  t.deepEqual(tailCallFrames(indirect, 0x9010n, C + 4n), []);
  const notEntry = graph({ [Number(A)]: [{ pc: A + 0x10n, to: [B + 8n] }] }, [{ pc: 0x9010n, to: [A] }]);
  t.deepEqual(tailCallFrames(notEntry, 0x9010n, C + 4n), []);
  t.deepEqual(tailCallFrames(graph({}), 0x9010n, C + 4n), []);
});

test('a function that tail-calls itself: the search ends (a site once per path), and keeps gdb\'s intersection', (t) => {
  const g = graph({ [Number(A)]: [{ pc: A + 0x10n, to: [A] }, { pc: A + 0x18n, to: [C] }] }, [{ pc: 0x9010n, to: [A] }]);
  // Chains [A+10, A+18] and [A+18]: no common start; the common end is compared over the
  // shorter chain only, and gdb then keeps the longer chain's count (chain_candidate), so
  // both sites are shown.
  t.deepEqual(tailCallFrames(g, 0x9010n, C + 4n), [A + 0x18n, A + 0x10n]);
});

// The DWARF reader on the corpus (guests/opt): gcc 12 at -O2 (DWARF 5 call sites).
const GCC = 'guests/opt/build/x86-64/gcc-O2.elf';
const CLANG = 'guests/opt/build/x86-64/clang-O2.elf';

async function crash(elf: string, scenario: string) {
  return runEmu({ path: path.join(ROOT, elf), displayPath: elf, argv: [elf, scenario], env: [], limits: { timeoutMs: 20_000, maxInsns: 0 }, output: () => {} });
}

test('gcc: tail_a\'s jump to tail_b is a tail-call site at tail_a\'s end, in tail_a\'s complete list', async (t) => {
  const elf = await loadElf(GCC);
  const sym = (n: string) => elf.symbols.find((s) => s.name === n && s.kind === 'func')!;
  const d = DwarfInfo.fromElf(elf)!;
  const end = sym('tail_a').value + sym('tail_a').size;
  const site = d.callSiteAt(end);
  t.deepEqual(site, { pc: end, tail: true, target: { kind: 'addrs', addrs: [sym('tail_b').value] } });
  const f = d.functionAt(sym('tail_a').value + 2n)!;
  t.is(f.entry, sym('tail_a').value);
  t.deepEqual(f.tailCalls(), [site]);
  t.deepEqual(d.warnings, []);
});

test('gcc: call sites of a hot/cold function and of a declaration (abort, from libc)', async (t) => {
  const elf = await loadElf(GCC);
  const sym = (n: string) => elf.symbols.find((s) => s.name === n)!.value;
  const d = DwarfInfo.fromElf(elf)!;
  // The cold scenario: dispatch's call to validate, whose code is validate and validate.cold.
  const cold = await crash(GCC, 'cold');
  const dispatch = cold.frames.find((f) => f.function === 'dispatch')!;
  t.deepEqual(d.callSiteAt(dispatch.pc)?.target, { kind: 'addrs', addrs: [sym('validate'), sym('validate.cold')] });
  const abort = await crash(GCC, 'abort');
  const giveUp = abort.frames.find((f) => f.function === 'give_up')!;
  t.deepEqual(d.callSiteAt(giveUp.pc), { pc: giveUp.pc, tail: false, target: { kind: 'name', name: 'abort' } });
});

test('the tail scenario: gcc gives tail_a a tail-call frame; clang\'s call sites carry only DW_AT_call_pc, which gdb reads no frame from', async (t) => {
  const g = await crash(GCC, 'tail');
  t.deepEqual(g.frames.map((f) => [f.function, f.evidence]), [['tail_b', 'stop'], ['tail_a', 'tailcall'], ['dispatch', 'cfi'], ['main', 'cfi']]);
  const c = await crash(CLANG, 'tail');
  t.deepEqual(c.frames.map((f) => f.function), ['tail_b', 'dispatch', 'main']);
  const elf = await loadElf(CLANG);
  const ta = elf.symbols.find((s) => s.name === 'tail_a')!;
  const d = DwarfInfo.fromElf(elf)!;
  t.is(d.callSiteAt(ta.value + ta.size), null);
  t.deepEqual(d.functionAt(ta.value)!.tailCalls(), []);
});

test('fuzz: 200 seeded mutations of the corpus\' debug sections; the search never throws', async (t) => {
  const orig = await loadElf(GCC);
  const debug = orig.sections.filter((s) => s.name.startsWith('.debug_') && s.size > 0n);
  const text = orig.sections.find((s) => s.name === '.text')!;
  const sym = (n: string) => orig.symbols.find((s) => s.name === n && s.kind === 'func')!;
  const tail = await crash(GCC, 'tail'); // tail_b <- (tail_a) <- dispatch
  const real: [bigint, bigint][] = [[tail.frames[2]!.pc, tail.frames[0]!.pc]];
  t.deepEqual(Symbolizer.fromElf(orig, 'gdb').tailCalls(...real[0]!), [sym('tail_a').value + sym('tail_a').size]);
  const next = rng(0x7a11);
  let frames = 0;
  let warned = 0;
  for (let iter = 0; iter < 200; iter++) {
    const elf = cloneElf(orig);
    for (let k = 1 + (next() % 6); k > 0; k--) {
      const s = debug[next() % debug.length]!;
      elf.bytes[Number(s.offset) + (next() % Number(s.size))] = [0, 0xff, 0x80, 0x7f, 0x48, 0x82, next() & 0xff][next() % 7]!;
    }
    const s = Symbolizer.fromElf(elf, 'gdb');
    const pairs = [...real, ...Array.from({ length: 6 }, (): [bigint, bigint] => [text.addr + BigInt(next() % Number(text.size)), text.addr + BigInt(next() % Number(text.size))])];
    for (const [caller, callee] of pairs) frames += s.tailCalls(caller, callee).length; // must not throw
    if (s.warnings.length) warned++;
  }
  t.log(`${frames} tail-call frames, ${warned}/200 mutants warned`);
  t.pass();
});
