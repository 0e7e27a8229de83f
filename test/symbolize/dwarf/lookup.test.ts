// DwarfInfo.lookup against known source locations and against llvm-symbolizer --inlines
// (captured in fixtures/expected.json by fixtures/make-expected.mjs).

import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DwarfInfo, type SourceFrame } from '../../../src/symbolize/dwarf/index.js';
import { FIXTURES, ROOT, loadElf } from './util.js';

const strip = (fs: SourceFrame[]) => fs.map((f) => ({ function: f.function, file: f.file, line: f.line, column: f.column }));

async function dwarf(rel: string): Promise<DwarfInfo> {
  const d = DwarfInfo.fromElf(await loadElf(rel));
  if (!d) throw new Error(`${rel}: no DWARF`);
  return d;
}

// Faulting pcs (from llvm-objdump and the gdb oracle) and the C lines they belong to.
const FAULTS: [arch: string, prog: string, pc: bigint, fn: string, line: number, column: number][] = [
  ['aarch64', 'null-write', 0x21023cn, 'bt_leaf', 7, 8],
  ['x86-64', 'null-write', 0x201236n, 'bt_leaf', 7, 8],
  ['rv32', 'null-write', 0x1111an, 'bt_leaf', 7, 8],
  ['rv64', 'null-write', 0x1122en, 'bt_leaf', 7, 8],
  ['aarch64', 'null-read', 0x21026cn, 'reader_inner', 8, 12],
  ['x86-64', 'null-read', 0x20125cn, 'reader_inner', 8, 12],
  ['rv32', 'null-read', 0x11130n, 'reader_inner', 8, 12],
  ['rv64', 'null-read', 0x1125cn, 'reader_inner', 8, 12],
  ['aarch64', 'deep-chain', 0x21023cn, 'f12', 7, 8],
  ['x86-64', 'trap', 0x201224n, 'trap_c', 7, 5],
  ['rv32', 'leaf-norecord', 0x11128n, 'nr_leaf', 11, 32],
  ['rv64', 'rodata-write', 0x11256n, 'poke_byte', 9, 35],
];

for (const [arch, prog, pc, fn, line, column] of FAULTS) {
  test(`${arch}/${prog}: fault pc 0x${pc.toString(16)} is ${fn} at src/${prog}.c:${line}`, async (t) => {
    const d = await dwarf(`guests/build/${arch}/${prog}.elf`);
    t.deepEqual(d.lookup(pc), [{ function: fn, file: `src/${prog}.c`, line, column, inlined: false }]);
    t.deepEqual(d.warnings, []);
  });
}

test('the line of bt_leaf\'s store in null-write.c is "*p = value;"', (t) => {
  const src = readFileSync(path.join(ROOT, 'guests/src/null-write.c'), 'utf8').split('\n');
  t.is(src[7 - 1]!.trim(), '*p = value;');
});

interface Expected {
  addr: string;
  frames: { function: string | null; file: string | null; line: number; column: number }[];
}
const EXPECTED = JSON.parse(readFileSync(path.join(ROOT, FIXTURES, 'expected.json'), 'utf8')) as Record<string, Expected[]>;

for (const [elf, rows] of Object.entries(EXPECTED)) {
  test(`matches llvm-symbolizer --inlines: ${elf.replace(/^.*\/(build|fixtures)\//, '')} (${rows.length} addresses)`, async (t) => {
    const d = await dwarf(elf);
    let symtabNames = 0;
    for (const r of rows) {
      const got = strip(d.lookup(BigInt(r.addr)));
      if (r.frames.every((f) => f.line === 0)) {
        // llvm found no line (address outside every unit); its answer comes from the ELF
        // symbol table, which is not DWARF.
        t.true(got.every((f) => f.line === 0), `${r.addr}: ${JSON.stringify(got)}`);
        continue;
      }
      const want = r.frames.map((f, i) => {
        // Where no DWARF subprogram covers the address (assembly units), llvm-symbolizer
        // names the ELF symbol; this reader reports null and leaves symbols to the caller.
        if (got[i]?.function === null && f.function !== null) {
          symtabNames++;
          return { ...f, function: null };
        }
        return f;
      });
      t.deepEqual(got, want, r.addr);
    }
    t.deepEqual(d.warnings, []);
    t.log(`${symtabNames} frames named from the ELF symbol table by llvm (assembly unit)`);
  });
}

const INLINE_FIXTURES: [name: string, pc: bigint][] = [
  ['inl-rv64-dwarf5', 0x1124cn],
  ['inl-x86-64-dwarf4', 0x20124bn],
  ['inl-rv32-dwarf4', 0x11138n],
  ['inl-aarch64-zlib', 0x210260n],
  ['inl-x86-64-dwarf64', 0x20124bn],
  ['inl-rv64-dwarf3', 0x1124cn],
];

for (const [name, pc] of INLINE_FIXTURES) {
  test(`${name}: inlined frames innermost first with call line/column`, async (t) => {
    const d = await dwarf(`${FIXTURES}/${name}.elf`);
    t.deepEqual(d.lookup(pc), [
      { function: 'store_at', file: 'src/inl.c', line: 9, column: 8, inlined: true },
      { function: 'level2', file: 'src/inl.c', line: 16, column: 9, inlined: true },
      { function: 'level1', file: 'src/inl.c', line: 23, column: 5, inlined: true },
      { function: 'main', file: 'src/inl.c', line: 32, column: 12, inlined: false },
    ]);
    t.deepEqual(d.warnings, []);
  });
}

test('an inlined frame from another file (sys.h) inside main', async (t) => {
  const d = await dwarf(`${FIXTURES}/inl-rv64-dwarf5.elf`);
  t.deepEqual(strip(d.lookup(0x1122an)), [
    { function: 'sys_write', file: 'guests/crt/sys.h', line: 62, column: 5 },
    { function: 'put_str', file: 'guests/crt/sys.h', line: 86, column: 5 },
    { function: 'main', file: 'src/inl.c', line: 31, column: 5 },
  ]);
});

test('the fixtures cover the DWARF flavours they claim', async (t) => {
  const names = async (f: string) => (await loadElf(`${FIXTURES}/${f}.elf`)).sections;
  const zlib = await names('inl-aarch64-zlib');
  t.true(zlib.filter((s) => s.name.startsWith('.debug_')).every((s) => (s.flags & 0x800n) !== 0n), 'all .debug_* compressed');
  const v4 = await names('inl-x86-64-dwarf4');
  t.truthy(v4.find((s) => s.name === '.debug_ranges'));
  t.is((await loadElf(`${FIXTURES}/inl-rv32-dwarf4.elf`)).bits, 32);
  const d64 = await loadElf(`${FIXTURES}/inl-x86-64-dwarf64.elf`);
  const info = d64.sections.find((s) => s.name === '.debug_info')!;
  t.is(new DataView(d64.bytes.buffer, d64.bytes.byteOffset).getUint32(Number(info.offset), true), 0xffffffff, '64-bit DWARF unit_length escape');
});

test('no DWARF: fromElf returns null', async (t) => {
  const elf = await loadElf('guests/build/rv64/null-write.elf');
  t.is(DwarfInfo.fromElf({ ...elf, sections: elf.sections.filter((s) => !s.name.startsWith('.debug_')) }), null);
});

test('address outside every unit gives []', async (t) => {
  const d = await dwarf('guests/build/x86-64/null-write.elf');
  t.deepEqual(d.lookup(0n), []);
  t.deepEqual(d.lookup(0xffff_ffff_ffff_ffffn), []);
  t.deepEqual(d.warnings, []);
});

test('laziness: a lookup parses only the unit it needs', async (t) => {
  const d = await dwarf(`${FIXTURES}/inl-rv64-dwarf5.elf`);
  t.is(d.parsedUnits, 0);
  t.is(d.lookup(0x11260n)[0]!.function, 'sq'); // helper_sum in util.c, third unit
  t.is(d.unitCount, 3);
  t.is(d.parsedUnits, 1);
  t.is(d.lookup(0x11264n).at(-1)!.function, 'helper_sum');
  t.is(d.parsedUnits, 1, 'second lookup in the same unit uses the cache');
  t.is(d.lookup(0x1124cn).length, 4);
  t.is(d.parsedUnits, 2);
});

test('performance: 10,000 random .text addresses', async (t) => {
  const elf = await loadElf('guests/build/x86-64/compute-o2.elf');
  const text = elf.sections.find((s) => s.name === '.text')!;
  const d = DwarfInfo.fromElf(elf)!;
  let x = 12345;
  const addrs: bigint[] = [];
  for (let i = 0; i < 10_000; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    addrs.push(text.addr + BigInt(x % Number(text.size)));
  }
  const t0 = performance.now();
  let frames = 0;
  for (const a of addrs) frames += d.lookup(a).length;
  const ms = performance.now() - t0;
  t.log(`10,000 lookups: ${ms.toFixed(1)} ms (${frames} frames)`);
  t.true(frames >= 10_000);
  t.true(ms < 2000);
});
