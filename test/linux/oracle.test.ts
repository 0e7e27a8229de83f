// The Linux programs' traces against gdb-multiarch attached to qemu-user
// (test/oracle/gdb-linux-frames.json, made by test/oracle/make-oracle.sh with the
// ORACLE_* variables its header gives). Frame by frame: the pc, the function and the
// line must be gdb's. Where gdb stops inside libc before main ("endsEarly": a function
// with no call frame information it cannot unwind), crashlab must agree on every frame
// gdb has and may go further; a frame gdb prints with pc 0 (it lost the trail in musl's
// libc, which has no CFI) and everything after it are gdb's guesses and not compared.
// The musl programs' oracle is test/oracle/gdb-linux-musl-frames.json.

import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { crashlab, ROOT } from '../helpers/cli.js';

interface OracleFrame { pc: string; function: string; file?: string; line?: number }
interface OracleCase { signal: string; pc: string; endsEarly?: boolean; frames: OracleFrame[] }
interface Report {
  outcome: { signal?: string };
  frames: { pc: string; function: string | null; file: string | null; line: number | null }[];
  backtrace: { complete: boolean } | null;
}

const load = (f: string) => JSON.parse(readFileSync(path.join(ROOT, 'test/oracle', f), 'utf8')) as Record<string, OracleCase>;
const glibc = load('gdb-linux-frames.json');
const oracle = { ...glibc, ...load('gdb-linux-musl-frames.json') };
const hex = (s: string) => '0x' + BigInt(s).toString(16);

test('the Linux oracle covers crash, abort, assert and raise on rv64, aarch64 and x86-64', (t) => {
  t.deepEqual(Object.keys(glibc).sort(), ['aarch64', 'x86-64', 'rv64'].flatMap((a) => ['crash', 'abort', 'assert', 'raise'].map((g) => `${a}/${g}`)).sort());
  t.true(['x86-64', 'aarch64'].flatMap((a) => ['crash-musl', 'abort-musl', 'assert-musl'].map((g) => `${a}/${g}`)).every((k) => k in oracle));
});

for (const [key, want] of Object.entries(oracle)) {
  const [arch, prog] = key.split('/') as [string, string];
  test(`${key}: every frame's pc, function and line is gdb's`, (t) => {
    const r = crashlab(['emu', '--json', `guests/linux/build/${arch}/${prog}.elf`]);
    const got = JSON.parse(r.stdout) as Report;
    t.is(got.outcome.signal, want.signal);
    if (want.endsEarly) t.true(got.frames.length >= want.frames.length, 'crashlab has at least the frames gdb has');
    else {
      t.is(got.frames.length, want.frames.length);
      t.true(got.backtrace!.complete);
    }
    const lost = want.frames.findIndex((f) => BigInt(f.pc) === 0n);
    const trusted = lost < 0 ? want.frames : want.frames.slice(0, lost);
    trusted.forEach((w, i) => {
      const g = got.frames[i]!;
      t.is(hex(g.pc), hex(w.pc), `#${i} pc`);
      t.is(g.function ?? '??', w.function, `#${i} function`);
      if (w.line !== undefined) t.is(`${g.file}:${g.line}`, `${w.file}:${w.line}`, `#${i} line`);
    });
  });
}
