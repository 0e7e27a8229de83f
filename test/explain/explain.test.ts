// `crashlab explain` through the real CLI: its text for two guests on every arch is
// checked as goldens (goldens/explain/<guest>/<arch>.txt; CRASHLAB_UPDATE_GOLDENS=1
// rewrites them), plus the facts a teacher relies on, asserted directly.

import test from 'ava';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { crashlab, guest, ROOT } from '../helpers/cli.js';

const ARCHES = ['aarch64', 'x86-64', 'rv32', 'rv64'];
const GUESTS = ['null-write', 'null-fnptr'];
const UPDATE = process.env.CRASHLAB_UPDATE_GOLDENS === '1';

for (const arch of ARCHES) {
  for (const g of GUESTS) {
    test(`${arch} ${g}: explain matches goldens/explain/${g}/${arch}.txt`, (t) => {
      const r = crashlab(['explain', guest(arch, g)]);
      t.is(r.code, 0, r.stderr);
      t.notRegex(r.stdout, /\x1b\[/, 'no colour when piped');
      const file = path.join(ROOT, 'goldens/explain', g, `${arch}.txt`);
      if (UPDATE) {
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, r.stdout);
      }
      t.true(existsSync(file), `${file} is missing (CRASHLAB_UPDATE_GOLDENS=1 npm test writes it)`);
      t.is(r.stdout, readFileSync(file, 'utf8'));
    });
  }

  test(`${arch}: the record slots explain names are the ones the walk used`, (t) => {
    const r = crashlab(['explain', guest(arch, 'null-write')]);
    const rep = JSON.parse(crashlab(['emu', '--json', guest(arch, 'null-write')]).stdout) as { frames: { pc: string }[] };
    // Every return address explain shows in a record is the pc of the next frame.
    const ras = [...r.stdout.matchAll(/return address = 0x([0-9a-f]+)/g)].map((m) => BigInt('0x' + m[1]));
    const pcs = rep.frames.map((f) => BigInt(f.pc));
    t.deepEqual(ras.slice(0, pcs.length - 1), pcs.slice(1));
    t.regex(r.stdout, /^=> 0x[0-9a-f]+ /m);
    t.regex(r.stdout, /^#0  bt_leaf\+0x[0-9a-f]+ at src\/null-write\.c:7:8$/m);
  });
}

test('two arches side by side: one line per row, each column its own ABI', (t) => {
  const r = crashlab(['explain', guest('aarch64', 'null-write'), guest('rv64', 'null-write')]);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  t.true(lines.every((l) => l.includes('│')), 'every row has two columns');
  t.regex(r.stdout, /aarch64: the caller's fp at \[fp\], the return a/);
  t.regex(r.stdout, /rv64: the caller's fp at \[fp-16\], the return a/);
  t.regex(lines[0]!, /^guests\/build\/aarch64\/null-write\.elf: .* │ guests\/build\/rv64\/null-write\.elf: /);
});

test('explain: a guest that exits normally says so', (t) => {
  const r = crashlab(['explain', guest('rv32', 'exit3')]);
  t.is(r.code, 0);
  t.is(r.stdout, 'guests/build/rv32/exit3.elf: rv32 guest exited with status 3\n');
});

test('explain: bad input gives one line and exit 2', (t) => {
  for (const args of [['explain', 'test/fixtures/bad/not-elf.bin'], ['explain', '--arch', 'mips', guest('rv64', 'null-write')], ['explain', '--arch', 'rv64', guest('rv64', 'null-write'), guest('rv32', 'null-write')]]) {
    const r = crashlab(args);
    t.is(r.code, 2, args.join(' '));
    t.is(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    t.regex(r.stderr, /^crashlab: /);
  }
});

// A static glibc abort(): frames found by a record, by call frame information and by
// prologue analysis, explained (goldens/explain/linux-abort/<arch>.txt, quoted by docs/demos/05).
for (const arch of ['rv64', 'aarch64', 'x86-64']) {
  test(`${arch} linux abort: explain matches goldens/explain/linux-abort/${arch}.txt`, (t) => {
    const r = crashlab(['explain', `guests/linux/build/${arch}/abort.elf`]);
    t.is(r.code, 0, r.stderr);
    const file = path.join(ROOT, 'goldens/explain/linux-abort', `${arch}.txt`);
    if (UPDATE) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, r.stdout);
    }
    t.true(existsSync(file), `${file} is missing (CRASHLAB_UPDATE_GOLDENS=1 npm test writes it)`);
    t.is(r.stdout, readFileSync(file, 'utf8'));
  });
}
