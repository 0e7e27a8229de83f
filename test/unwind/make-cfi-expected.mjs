#!/usr/bin/env node
// make-cfi-expected.mjs: build the readelf oracle for crashlab's CFI reader
// (src/unwind/cfi.ts, checked by test/unwind/cfi.test.ts).
//
// Usage (from anywhere; paths are resolved against the repo root):
//   node test/unwind/make-cfi-expected.mjs
//
// Needs GNU readelf (binutils; written against 2.40; override with $READELF). CI does not
// have it: the output, test/unwind/cfi-expected.json, is committed.
//
// For each ELF in ELFS:
//   1. `readelf --debug-dump=frames-interp` (-wF): every CIE and FDE of .eh_frame and
//      .debug_frame, each FDE with its table of rows (LOC, CFA, one cell per register the
//      CIE or FDE mentions);
//   2. the FDE lookup table gdb builds (gdb/dwarf2/frame.c, dwarf2_build_frame_info):
//      FDEs of both sections sorted by start, a .debug_frame FDE before an .eh_frame one
//      with the same start and only the first kept, FDEs starting at 0 that overlap the
//      first non-zero one dropped (--gc-sections leftovers); empty FDEs (range 0) are
//      dropped first. The FDE for a pc is the one with the greatest start <= pc, if pc is
//      below its end. `fdeCount` is the table's length;
//   3. a deterministic sample of pcs (xorshift32 seeded from the ELF's path): for up to
//      13 FDEs, the start, one pc inside and the last byte; for up to 6 "interesting" FDEs
//      (an expression CFA or any cell other than u / c±N, i.e. s, rN, v±N, exp, vexp)
//      every row start; and up to 3 pcs no FDE covers (expected: no row);
//   4. for each pc, the row readelf prints that is in effect there (the last row of the
//      selected FDE whose LOC <= pc).
//
// Written as { elfs: [ { path, arch, fdeCount, samples: [ sample ] } ] } where a sample is
//   { pc, row: null }                       (no FDE covers pc), or
//   { pc, sec: ".eh_frame" | ".debug_frame", fde: [start, end], row: rowStart,
//     ra: return column, cfa: [dwarfReg, offset] | "exp", regs: { dwarfReg: cell } }
// with addresses as "0x..." strings and cells exactly as readelf prints them, register
// names turned into DWARF numbers: "u" (undefined, or mentioned but not yet set: readelf
// pre-scans the FDE and shows every register it mentions as "u" until set), "s" (same
// value), "c-8" (saved at CFA-8), "v+8" (value CFA+8), "r9" (in register 9), "exp",
// "vexp". readelf labels the return column "ra" whatever its register: it is written
// under the CIE's return column number.
//
// Output is deterministic: re-running on the same ELFs and readelf gives an identical file.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = path.join(ROOT, 'test/unwind/cfi-expected.json');
const READELF = process.env.READELF ?? 'readelf';

/** [path relative to the repo, arch]: freestanding clang guests, static glibc, static musl. */
const ELFS = [
  ...['aarch64', 'x86-64', 'rv32', 'rv64'].flatMap((a) => ['compute.elf', 'compute-o2.elf', 'recursion.elf'].map((n) => [`guests/build/${a}/${n}`, a])),
  ...['aarch64', 'x86-64', 'rv64'].flatMap((a) => ['abort.elf', 'crash.elf'].map((n) => [`guests/linux/build/${a}/${n}`, a])),
  ['guests/linux/build/x86-64/abort-musl.elf', 'x86-64'],
  ['guests/linux/build/x86-64/crash-musl.elf', 'x86-64'],
];

const RANDOM_FDES = 13;
const SPECIAL_FDES = 6;
const GAPS = 3;

// readelf's register names (binutils dwarf.c: dwarf_regnames_x86_64, _aarch64, _riscv).
const range = (prefix, n, from = 0) => Array.from({ length: n }, (_, i) => `${prefix}${i + from}`);
const REGNAMES = {
  'x86-64': ['rax', 'rdx', 'rcx', 'rbx', 'rsi', 'rdi', 'rbp', 'rsp', ...range('r', 8, 8), 'rip', ...range('xmm', 16)],
  aarch64: (() => {
    const t = [...range('x', 31), 'sp'];
    range('v', 32).forEach((n, i) => (t[64 + i] = n));
    return t;
  })(),
  riscv: ['zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', ...range('a', 8), ...range('s', 10, 2), ...range('t', 4, 3),
    ...range('ft', 8), 'fs0', 'fs1', ...range('fa', 8), ...range('fs', 10, 2), ...range('ft', 4, 8)],
};
REGNAMES.rv32 = REGNAMES.riscv;
REGNAMES.rv64 = REGNAMES.riscv;

/** xorshift32, as test/helpers/rng.ts. */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

function seedOf(s) {
  let h = 2166136261;
  for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h;
}

const hex = (v) => '0x' + v.toString(16);

/** Parse `readelf -wF` into CIEs and FDEs (with rows). */
function parseReadelf(text, arch, file) {
  const names = REGNAMES[arch];
  const regOf = (name) => {
    const i = names.indexOf(name);
    if (i >= 0) return i;
    const m = /^r(\d+)$/.exec(name);
    if (m) return Number(m[1]);
    throw new Error(`${file}: readelf register name '${name}' is not in the ${arch} table`);
  };
  const cies = new Map(); // `${section}:${offset}` -> { ra }
  const fdes = [];
  let section = null;
  let cur = null; // current FDE
  let columns = null;
  for (const line of text.split('\n')) {
    let m;
    if ((m = /^Contents of the (\S+) section:/.exec(line))) {
      section = m[1];
      cur = null;
      continue;
    }
    if ((m = /^([0-9a-f]+) [0-9a-f]+ [0-9a-f]+ CIE "([^"]*)" cf=(-?\d+) df=(-?\d+) ra=(\d+)/.exec(line))) {
      // A CIE's rows are read like an FDE's: an FDE whose instructions are all nops gets
      // no rows from readelf ("all_nops"), and its one row is the CIE's last.
      cur = { section, offset: parseInt(m[1], 16), ra: Number(m[5]), rows: [], isCie: true };
      cies.set(`${section}:${cur.offset}`, cur);
      columns = null;
      continue;
    }
    if ((m = /^([0-9a-f]+) [0-9a-f]+ [0-9a-f]+ FDE cie=([0-9a-f]+) pc=([0-9a-f]+)\.\.([0-9a-f]+)/.exec(line))) {
      const cie = cies.get(`${section}:${parseInt(m[2], 16)}`);
      if (!cie) throw new Error(`${file}: FDE at ${m[1]} names unknown CIE ${m[2]}`);
      cur = { section, offset: parseInt(m[1], 16), start: BigInt('0x' + m[3]), end: BigInt('0x' + m[4]), ra: cie.ra, cie, rows: [], special: false, order: fdes.length };
      fdes.push(cur);
      columns = null;
      continue;
    }
    if (!cur) continue;
    if (line.trim() === '' || / ZERO terminator$/.test(line)) {
      cur = null;
      continue;
    }
    if ((m = /^\s+LOC\s+CFA\s*(.*)$/.exec(line))) {
      columns = m[1].trim() === '' ? [] : m[1].trim().split(/\s+/).map((n) => (n === 'ra' ? cur.ra : regOf(n)));
      continue;
    }
    if ((m = /^([0-9a-f]+) (.*)$/.exec(line)) && columns) {
      const tokens = m[2].match(/r\d+ \([^)]*\)|\S+/g) ?? [];
      const [cfaText, ...cells] = tokens;
      if (cells.length !== columns.length) throw new Error(`${file}: ${section}+${hex(cur.offset)}: row '${line}' has ${cells.length} cells for ${columns.length} columns`);
      let cfa;
      if (cfaText === 'exp') cfa = 'exp';
      else {
        const c = /^(.+?)([+-]\d+)$/.exec(cfaText);
        if (!c) throw new Error(`${file}: cannot read CFA '${cfaText}'`);
        cfa = [regOf(c[1]), Number(c[2])];
      }
      const regs = {};
      cells.forEach((cell, i) => {
        let v = cell;
        const r = /^r(\d+)/.exec(cell);
        if (r) v = `r${r[1]}`;
        else if (!/^(u|s|exp|vexp|[cv][+-]\d+)$/.test(cell)) throw new Error(`${file}: cannot read cell '${cell}'`);
        if (v !== 'u' && !/^c[+-]\d+$/.test(v) && !cur.isCie) cur.special = true;
        regs[columns[i]] = v;
      });
      if (cfa === 'exp' && !cur.isCie) cur.special = true;
      cur.rows.push({ loc: BigInt('0x' + m[1]), cfa, regs });
    }
  }
  return fdes;
}

/** gdb's lookup table (see the header). */
function lookupTable(fdes) {
  const all = fdes.filter((f) => f.end > f.start);
  all.sort((a, b) => {
    if (a.start !== b.start) return a.start < b.start ? -1 : 1;
    const ae = a.section === '.eh_frame';
    const be = b.section === '.eh_frame';
    if (ae !== be) return ae ? 1 : -1;
    return a.order - b.order;
  });
  const firstNonZero = all.find((f) => f.start !== 0n);
  const table = [];
  for (const f of all) {
    if (f.start === 0n && firstNonZero && firstNonZero.start < f.end) continue;
    if (table.length && table[table.length - 1].start === f.start) continue;
    table.push(f);
  }
  return table;
}

function fdeFor(table, pc) {
  let lo = 0;
  let hi = table.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (table[mid].start <= pc) lo = mid + 1;
    else hi = mid;
  }
  if (lo === 0) return null;
  const f = table[lo - 1];
  return pc < f.end ? f : null;
}

function sampleAt(table, pc) {
  const f = fdeFor(table, pc);
  if (!f) return { pc: hex(pc), row: null };
  let row = null;
  for (const r of f.rows) if (r.loc <= pc) row = r;
  if (f.rows.length === 0 && f.cie.rows.length > 0) row = { ...f.cie.rows[f.cie.rows.length - 1], loc: f.start };
  if (!row) throw new Error(`no row at ${hex(pc)} in FDE ${f.section}+${hex(f.offset)}`);
  return { pc: hex(pc), sec: f.section, fde: [hex(f.start), hex(f.end)], row: hex(row.loc), ra: f.ra, cfa: row.cfa, regs: row.regs };
}

const readelfVersion = spawnSync(READELF, ['--version'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? '?';
const out = { readelf: readelfVersion, elfs: [] };
for (const [rel, arch] of ELFS) {
  const file = path.join(ROOT, rel);
  const r = spawnSync(READELF, ['--debug-dump=frames-interp', file], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${READELF} failed on ${rel}: ${r.stderr}`);
  const fdes = parseReadelf(r.stdout, arch, rel);
  const table = lookupTable(fdes);
  const next = rng(seedOf(rel));
  const pick = (list, n) => {
    const pool = [...list];
    const chosen = [];
    while (chosen.length < n && pool.length) chosen.push(pool.splice(next() % pool.length, 1)[0]);
    return chosen.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  };
  const pcs = new Set();
  for (const f of pick(table, RANDOM_FDES)) {
    const len = f.end - f.start;
    pcs.add(f.start);
    if (len > 2n) pcs.add(f.start + 1n + BigInt(next()) % (len - 2n));
    pcs.add(f.end - 1n);
  }
  for (const f of pick(table.filter((x) => x.special), SPECIAL_FDES)) for (const row of f.rows) if (row.loc < f.end) pcs.add(row.loc);
  const gaps = table.map((f) => f.end).filter((pc) => !fdeFor(table, pc));
  for (const pc of pick(gaps.map((start) => ({ start })), GAPS)) pcs.add(pc.start);
  const samples = [...pcs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((pc) => sampleAt(table, pc));
  out.elfs.push({ path: rel, arch, fdeCount: table.length, samples });
  console.log(`${rel}: ${fdes.length} FDEs in readelf, ${table.length} in the lookup table, ${samples.length} pcs`);
}

// One sample per line keeps the file diffable and small.
const lines = ['{', `  "readelf": ${JSON.stringify(out.readelf)},`, '  "elfs": ['];
out.elfs.forEach((e, i) => {
  lines.push(`    { "path": ${JSON.stringify(e.path)}, "arch": ${JSON.stringify(e.arch)}, "fdeCount": ${e.fdeCount}, "samples": [`);
  e.samples.forEach((s, j) => lines.push(`      ${JSON.stringify(s)}${j < e.samples.length - 1 ? ',' : ''}`));
  lines.push(`    ] }${i < out.elfs.length - 1 ? ',' : ''}`);
});
lines.push('  ]', '}', '');
writeFileSync(OUT, lines.join('\n'));
console.log(`wrote ${path.relative(ROOT, OUT)}`);
