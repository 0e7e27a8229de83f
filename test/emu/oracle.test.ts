// crashlab vs an independent oracle: gdb-multiarch attached to qemu-user.
//
// test/oracle/gdb-frames.json is produced by test/oracle/make-oracle.sh (raw gdb
// transcripts in test/oracle/raw/). gdb unwinds with the ELFs' DWARF CFI, crashlab
// with its own unwinder under Unicorn, so agreement here is a real cross-check.
//
// Conventions, so that like is compared with like:
// * gdb's `pc` is the raw $pc at the stop. For x86-64 int3 that is the byte after
//   the int3; `trapPc` is the trapping instruction itself, which is what crashlab
//   reports as frame #0. So frame #0's pc is compared against `trapPc`; frames #1..
//   are compared against gdb's bt pcs (return addresses) as they are.
// * gdb prints "??" for a pc with no symbol (frame #0 of null-fnptr); crashlab's
//   JSON has `function: null` there. Both mean "no symbol" and are mapped to "??".
// * recursion: gdb's trace was cut at 5 frames (`bt 5`), crashlab's is cut at its
//   own limit, so only the signal, frame #0 and the first 5 function names are compared.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

interface OracleFrame { pc: string; function: string; file?: string; line?: number }
interface OracleCase { signal: string; pc: string; trapPc: string; truncated?: boolean; frames: OracleFrame[] }
interface CrashlabFrame { index: number; pc: string; function: string | null; offset: number | null; file: string | null; line: number | null; inlined: boolean }
interface CrashlabReport {
  outcome: { kind: string; signal?: string };
  fault?: { pc: string };
  frames: CrashlabFrame[];
}

const oracle = JSON.parse(
  readFileSync(path.join(repoRoot, 'test/oracle/gdb-frames.json'), 'utf8'),
) as Record<string, OracleCase>;

/** Canonical hex: lower case, no leading zeros. */
const hex = (s: string): string => '0x' + BigInt(s).toString(16);
const fnName = (f: string | null): string => f ?? '??';

function runCrashlab(elf: string): CrashlabReport {
  const r = spawnSync(process.execPath, ['bin/crashlab', 'emu', '--json', elf], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, CRASHLAB_DEBUG: '' },
  });
  if (r.error) throw r.error;
  try {
    return JSON.parse(r.stdout) as CrashlabReport;
  } catch {
    throw new Error(`crashlab emu --json ${elf}: no JSON on stdout (status ${r.status})\nstderr:\n${r.stderr}`);
  }
}

test('the oracle covers every arch and guest', (t) => {
  const arches = ['aarch64', 'x86-64', 'rv32', 'rv64'];
  const guests = ['null-write', 'null-read', 'rodata-write', 'null-fnptr', 'trap', 'breakpoint', 'illegal',
    'deep-chain', 'leaf-norecord', 'recursion', 'exec-data', 'stack-smash', 'heap-overflow', 'dangling-write',
    'callback-trap', 'recursion-300', 'inline-chain'];
  const expected = arches.flatMap((a) => [...guests.map((g) => `${a}/${g}`), ...(a === 'x86-64' ? ['x86-64/divzero'] : [])]);
  t.deepEqual(Object.keys(oracle).sort(), expected.sort());
});

for (const [key, gdb] of Object.entries(oracle)) {
  const [arch, guest] = key.split('/') as [string, string];
  const elf = `guests/build/${arch}/${guest}.elf`;

  test(`${key}: crashlab matches gdb`, (t) => {
    const rep = runCrashlab(elf);

    t.is(rep.outcome.kind, 'signal', 'outcome kind');
    t.is(rep.outcome.signal, gdb.signal, 'signal');
    t.true(rep.frames.length > 0, 'crashlab reported frames');
    t.is(hex(rep.frames[0]!.pc), hex(gdb.trapPc), 'frame #0 pc == gdb trapPc');

    // gdb's frames with frame #0 at the trapping instruction (trapPc).
    const want = gdb.frames.map((f, i) => ({ pc: hex(i === 0 ? gdb.trapPc : f.pc), function: f.function }));
    const got = rep.frames.map((f) => ({ pc: hex(f.pc), function: fnName(f.function) }));

    if (gdb.truncated) {
      t.is(got[0]!.function, want[0]!.function, 'frame #0 function');
      t.is(`${rep.frames[0]!.file}:${rep.frames[0]!.line}`, `${gdb.frames[0]!.file}:${gdb.frames[0]!.line}`, 'frame #0 file:line');
      t.true(got.length >= 5, `crashlab has at least 5 frames (has ${got.length})`);
      t.deepEqual(got.slice(0, 5).map((f) => f.function), want.slice(0, 5).map((f) => f.function), 'first 5 function names');
      return;
    }

    // gdb's trace ends at main (backtrace past-main off), or where gdb said its
    // backtrace stopped (stack-smash); crashlab's ends at the same frame, so the whole
    // list is compared: same count, pcs and names.
    t.deepEqual(got, want, 'frames (pc, function) up to and including main');

    // Source lines: gdb's "at src/x.c:N" for every frame it could place. For x86 int3
    // gdb stands after the trap, so frame #0's line is gdb's only when pc == trapPc.
    const srcWant = gdb.frames.map((f, i) => (i === 0 && gdb.pc !== gdb.trapPc ? null : f.file ? `${f.file}:${f.line}` : null));
    const srcGot = rep.frames.map((f, i) => (srcWant[i] === null ? null : f.file ? `${f.file}:${f.line}` : null));
    t.deepEqual(srcGot, srcWant, 'file:line of every frame');
  });
}
