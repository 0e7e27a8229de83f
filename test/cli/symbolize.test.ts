// `crashlab symbolize` and `crashlab addr2line` through the real CLI, checked against the
// gdb oracle (test/oracle/gdb-frames.json) and llvm-symbolizer's table
// (test/symbolize/expected/), both produced by scripts anyone can re-run.

import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crashlab, guest, ROOT } from '../helpers/cli.js';
import { readElf } from '../../src/loader/elf.js';

interface OracleFrame { pc: string; function: string; file?: string; line?: number }
interface OracleCase { pc: string; trapPc: string; truncated?: boolean; stopped?: boolean; frames: OracleFrame[] }
const oracle = JSON.parse(readFileSync(path.join(ROOT, 'test/oracle/gdb-frames.json'), 'utf8')) as Record<string, OracleCase>;

const ARCHES = ['aarch64', 'x86-64', 'rv32', 'rv64'];

for (const arch of ARCHES) {
  test(`${arch}: symbolize annotates a pasted gdb trace in place, other lines unchanged`, (t) => {
    const gdb = oracle[`${arch}/deep-chain`]!;
    const input = ['Program received signal SIGSEGV, Segmentation fault.', ...gdb.frames.map((f, i) => `#${i}  ${f.pc} in ?? ()`), '(gdb) quit', ''].join('\n');
    const r = crashlab(['symbolize', guest(arch, 'deep-chain')], { input });
    t.is(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    t.is(lines[0], 'Program received signal SIGSEGV, Segmentation fault.');
    t.is(lines[lines.length - 2], '(gdb) quit');
    const frames = lines.slice(1, -2);
    t.is(frames.length, gdb.frames.length);
    frames.forEach((l, i) => {
      const f = gdb.frames[i]!;
      const m = /^#(\d+)\s+0x([0-9a-f]+) in (\w+)\+0x[0-9a-f]+ at ([^:]+):(\d+):(\d+)$/.exec(l);
      t.truthy(m, l);
      t.is(Number(m![1]), i);
      t.is(BigInt('0x' + m![2]), BigInt(f.pc));
      t.is(m![3], f.function);
      t.is(`${m![4]}:${m![5]}`, `${f.file}:${f.line}`);
    });
  });

  test(`${arch}: addr2line -f answers function and file:line like binutils, ??:0 when unknown`, (t) => {
    const gdb = oracle[`${arch}/null-write`]!;
    const f0 = gdb.frames[0]!;
    const r = crashlab(['addr2line', '-e', guest(arch, 'null-write'), '-f', f0.pc, '0x0']);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, `${f0.function}\n${f0.file}:${f0.line}\n??\n??:0\n`);
  });
}

test('addr2line: -a prints the address, -p one line per address, addresses from stdin', (t) => {
  const gdb = oracle['rv32/null-read']!;
  const f0 = gdb.frames[0]!;
  const addr = BigInt(f0.pc);
  const r = crashlab(['addr2line', '-e', guest('rv32', 'null-read'), '-a', '-p', '-f'], { input: `${f0.pc}\n` });
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, `0x${addr.toString(16).padStart(8, '0')}: ${f0.function} at ${f0.file}:${f0.line}\n`);
});

test('addr2line: a bad address is a usage error', (t) => {
  const r = crashlab(['addr2line', '-e', guest('rv64', 'null-write'), 'xyz']);
  t.is(r.code, 2);
  t.regex(r.stderr, /^crashlab: not a hex address: 'xyz'\n$/);
});

// Inlined frames, from llvm-symbolizer's table for the -O2 inline-chain variant.
for (const arch of ARCHES) {
  test(`${arch}: addr2line -f -i lists inlined callers innermost first, as llvm-symbolizer --inlines`, (t) => {
    const expectedPath = path.join(ROOT, `test/symbolize/expected/${arch}/variants/inline-chain-O2-dwarf5.json`);
    t.true(existsSync(expectedPath), expectedPath);
    const table = JSON.parse(readFileSync(expectedPath, 'utf8')) as Record<string, { function: string | null; file: string | null; line: number; column: number }[]>;
    const deepest = Object.entries(table).sort((a, b) => b[1].length - a[1].length)[0]!;
    t.true(deepest[1].length >= 2, 'the -O2 build inlines at least one call');
    const r = crashlab(['addr2line', '-e', `guests/build/${arch}/variants/inline-chain-O2-dwarf5.elf`, '-f', '-i', deepest[0]]);
    t.is(r.code, 0, r.stderr);
    const want = deepest[1].map((f) => `${f.function ?? '??'}\n${f.file ?? '??'}:${f.line || (f.file ? '?' : 0)}`).join('\n') + '\n';
    t.is(r.stdout, want);
  });

  test(`${arch}: emu shows inlined frames marked (inlined) and "inlined": true in JSON`, (t) => {
    const elf = `guests/build/${arch}/variants/inline-chain-O2-dwarf5.elf`;
    const r = crashlab(['emu', '--json', elf]);
    const rep = JSON.parse(r.stdout) as { frames: { function: string; inlined: boolean; pc: string; file: string; line: number }[] };
    t.true(rep.frames.some((f) => f.inlined), 'some frame is inlined');
    // Inlined frames share the pc of the real frame that follows them.
    rep.frames.forEach((f, i) => {
      if (f.inlined) t.is(f.pc, rep.frames[i + 1]!.pc);
    });
    t.is(rep.frames[rep.frames.length - 1]!.function, 'main');
    t.false(rep.frames[rep.frames.length - 1]!.inlined);
    const text = crashlab(['emu', elf]);
    t.regex(text.stderr, /^#0\s+0x[0-9a-f]+ in \w+ at src\/inline-chain\.c:\d+:\d+ \(inlined\)$/m);
  });
}

test('without debug info: symbols only, and the report says so', (t) => {
  const elf = 'guests/build/rv64/variants/null-write-g0.elf';
  const r = crashlab(['emu', elf]);
  t.is(r.code, 139);
  t.regex(r.stderr, /^#0\s+0x[0-9a-f]{16} in bt_leaf\+0x[0-9a-f]+$/m);
  t.regex(r.stderr, /\n\(no debug info in guests\/build\/rv64\/variants\/null-write-g0\.elf: frames are named from the ELF symbol table only\)\n$/);
  const j = JSON.parse(crashlab(['emu', '--json', elf]).stdout) as { debugInfo: boolean; frames: { file: string | null; function: string }[] };
  t.false(j.debugInfo);
  t.deepEqual(j.frames.map((f) => f.function), ['bt_leaf', 'bt_mid', 'bt_root', 'main']);
  t.true(j.frames.every((f) => f.file === null));
});

test('corrupt DWARF degrades to symbols with one warning, never a crash', async (t) => {
  const src = path.join(ROOT, guest('x86-64', 'null-write'));
  const bytes = new Uint8Array(readFileSync(src));
  const elf = await readElf(src);
  // Wreck the headers of the line table and the first unit.
  for (const name of ['.debug_line', '.debug_info']) {
    const s = elf.sections.find((x) => x.name === name)!;
    bytes.fill(0xff, Number(s.offset), Number(s.offset) + 24);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crashlab-'));
  const bad = path.join(dir, 'corrupt-dwarf.elf');
  writeFileSync(bad, bytes);
  const r = crashlab(['emu', bad], { timeoutMs: 30_000 });
  t.is(r.code, 139);
  t.notRegex(r.stderr, /\n\s+at /);
  t.regex(r.stderr, /^#0\s+0x[0-9a-f]+ in bt_leaf\+0x[0-9a-f]+/m);
  const warnings = r.stderr.split('\n').filter((l) => l.includes('debug info'));
  t.is(warnings.length, 1, r.stderr);
});
