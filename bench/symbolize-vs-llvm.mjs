#!/usr/bin/env node
// Benchmark: crashlab's DWARF reader (src/symbolize/dwarf/) against llvm-symbolizer on the
// same ELFs and the same addresses.
//
// ELFs: the largest -O2 variant guest (guests/build/<arch>/variants/*-O2-*.elf, by file
// size) and guests/build/{x86-64,rv64}/big.elf (several MB of DWARF, from bench/gen-big.mjs).
// For each, N (default 10,000) instruction addresses are drawn from .text (the addresses
// `llvm-objdump -d -j .text` lists) with a fixed-seed PRNG, with replacement.
//
//  (a) llvm:     `llvm-symbolizer --obj=ELF --inlines`, all N addresses on stdin, one process.
//  (b) crashlab: in this process, readElf + DwarfInfo.fromElf + N lookups (from dist/).
//                "cold" is the first run in this process (JIT cold, nothing cached);
//                "warm" the median of the later runs, each with a fresh DwarfInfo.
//  (c) one address in a fresh process: `node -e` importing dist/ and doing readElf +
//      fromElf + one lookup, against `llvm-symbolizer --obj=ELF --inlines ADDR`;
//      whole-process wall time, median of R runs. Bare `node -e ''` start-up is shown too.
// Ratios are crashlab time / llvm time (below 1.0 = crashlab faster).
//
// It also checks, untimed, that crashlab's answers for the sampled addresses equal
// llvm-symbolizer's (--functions=short --output-style=JSON, normalized as in
// test/symbolize/make-expected.mjs) and prints the number of differing addresses.
//
// Usage: npm run build && node bench/symbolize-vs-llvm.mjs [--n 10000] [--runs 5] [--seed 1]
// Needs llvm-objdump and llvm-symbolizer (LLVM 14) and built guests (make -C guests).

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, opt, median } from './lib.mjs';

const N = Number(opt('n', 10000));
const RUNS = Number(opt('runs', 5));
const SEED = Number(opt('seed', 1));

function tool(base) {
  return spawnSync(`${base}-14`, ['--version']).status === 0 ? `${base}-14` : base;
}
const OBJDUMP = tool('llvm-objdump');
const SYMBOLIZER = tool('llvm-symbolizer');
if (spawnSync(SYMBOLIZER, ['--version']).status !== 0) {
  console.error('bench: llvm-symbolizer not found (apt-get install llvm-14)');
  process.exit(2);
}

const DIST_ELF = path.join(ROOT, 'dist/src/loader/elf.js');
const DIST_DWARF = path.join(ROOT, 'dist/src/symbolize/dwarf/index.js');
if (!existsSync(DIST_ELF) || !existsSync(DIST_DWARF)) {
  console.error('bench: build first (npm run build)');
  process.exit(2);
}
const { readElf } = await import(pathToFileURL(DIST_ELF).href);
const { DwarfInfo } = await import(pathToFileURL(DIST_DWARF).href);

// ---- which ELFs
const elfs = [];
{
  const o2 = [];
  for (const a of ['aarch64', 'x86-64', 'rv32', 'rv64']) {
    const d = path.join(ROOT, 'guests/build', a, 'variants');
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) if (/-O2-dwarf\d\.elf$/.test(f)) o2.push(path.join(d, f));
  }
  o2.sort((x, y) => statSync(y).size - statSync(x).size || (x < y ? -1 : 1));
  if (o2.length) elfs.push(o2[0]);
  for (const a of ['x86-64', 'rv64']) {
    const f = path.join(ROOT, 'guests/build', a, 'big.elf');
    if (existsSync(f)) elfs.push(f);
  }
  if (elfs.length === 0) {
    console.error('bench: no guests (make -C guests)');
    process.exit(2);
  }
}

// ---- helpers
function run(cmd, argv, input) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { cwd: ROOT, encoding: 'utf8', input, maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

function textAddresses(elf) {
  const out = run(OBJDUMP, ['-d', '-j', '.text', '--no-show-raw-insn', elf]).stdout;
  const addrs = [];
  for (const line of out.split('\n')) {
    const m = /^\s+([0-9a-f]+):/.exec(line);
    if (m) addrs.push(BigInt('0x' + m[1]));
  }
  return addrs;
}

// mulberry32
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function debugSize(elf) {
  const out = run('llvm-readelf', ['-S', '-W', elf]).stdout;
  let total = 0;
  for (const line of out.split('\n')) {
    const m = /\]\s+(\.debug_\S+)\s+\S+\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)/.exec(line);
    if (m) total += parseInt(m[2], 16);
  }
  return total;
}

const normPath = (p) => (p === '' || p === '??' ? null : (p.startsWith('/') ? '/' : '') + p.split('/').filter((s) => s !== '' && s !== '.').join('/'));

function llvmFramesJson(elf, hexAddrs) {
  const out = run(SYMBOLIZER, [`--obj=${elf}`, '--inlines', '--functions=short', '--output-style=JSON'], hexAddrs.join('\n') + '\n').stdout;
  return out
    .split('\n')
    .filter((l) => l)
    .map((l) => {
      let fr = JSON.parse(l).Symbol.map((s) => ({
        function: s.FunctionName === '' || s.FunctionName === '??' ? null : s.FunctionName,
        file: normPath(s.FileName),
        line: s.Line,
        column: s.Column,
      }));
      if (fr.length === 1 && fr[0].function === null && fr[0].file === null && fr[0].line === 0) fr = [];
      return fr;
    });
}

const fmtSize = (b) => (b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : `${(b / 1e3).toFixed(1)} kB`);
const fmtMs = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2)) + ' ms';
const ratio = (a, b) => (a / b).toFixed(2);

// ---- the runs
const rows = [];
for (const elf of elfs) {
  const rel = path.relative(ROOT, elf);
  const all = textAddresses(elf);
  const rnd = prng(SEED);
  const sample = Array.from({ length: N }, () => all[Math.floor(rnd() * all.length)]);
  const hex = sample.map((a) => '0x' + a.toString(16));
  const input = hex.join('\n') + '\n';

  // (a) llvm-symbolizer, all addresses, one process
  const llvmMs = [];
  for (let i = 0; i < RUNS; i++) llvmMs.push(run(SYMBOLIZER, [`--obj=${elf}`, '--inlines'], input).ms);

  // (b) crashlab in-process
  const cl = [];
  let answers = null;
  for (let i = 0; i < RUNS + 1; i++) {
    const t0 = process.hrtime.bigint();
    const file = await readElf(elf);
    const t1 = process.hrtime.bigint();
    const info = DwarfInfo.fromElf(file);
    if (!info) throw new Error(`${rel}: DwarfInfo.fromElf returned null`);
    const t2 = process.hrtime.bigint();
    const res = sample.map((a) => info.lookup(a));
    const t3 = process.hrtime.bigint();
    cl.push({ read: Number(t1 - t0) / 1e6, from: Number(t2 - t1) / 1e6, lookups: Number(t3 - t2) / 1e6, total: Number(t3 - t0) / 1e6 });
    if (i === 0) answers = res;
  }
  const cold = cl[0];
  const warm = {
    read: median(cl.slice(1).map((x) => x.read)),
    from: median(cl.slice(1).map((x) => x.from)),
    lookups: median(cl.slice(1).map((x) => x.lookups)),
    total: median(cl.slice(1).map((x) => x.total)),
  };

  // untimed: same answers as llvm-symbolizer?
  const want = llvmFramesJson(elf, hex);
  let differ = 0;
  let firstDiff = null;
  answers.forEach((fr, i) => {
    const got = JSON.stringify(fr.map((f) => ({ function: f.function, file: f.file, line: f.line, column: f.column })));
    if (got !== JSON.stringify(want[i])) {
      differ++;
      firstDiff ??= `${hex[i]}: llvm ${JSON.stringify(want[i])} crashlab ${got}`;
    }
  });

  // (c) one address, fresh process
  const one = hex[0];
  const script =
    `const {readElf}=await import(${JSON.stringify(pathToFileURL(DIST_ELF).href)});` +
    `const {DwarfInfo}=await import(${JSON.stringify(pathToFileURL(DIST_DWARF).href)});` +
    `const d=DwarfInfo.fromElf(await readElf(${JSON.stringify(elf)}));` +
    `const f=d.lookup(${one}n);process.stdout.write(JSON.stringify(f)+'\\n');`;
  const nodeOne = [];
  const llvmOne = [];
  const nodeBare = [];
  for (let i = 0; i < RUNS; i++) {
    nodeOne.push(run(process.execPath, ['--input-type=module', '-e', script]).ms);
    llvmOne.push(run(SYMBOLIZER, [`--obj=${elf}`, '--inlines', one]).ms);
    nodeBare.push(run(process.execPath, ['-e', '']).ms);
  }

  rows.push({
    rel,
    size: statSync(elf).size,
    dwarf: debugSize(elf),
    textInsns: all.length,
    llvm: median(llvmMs),
    cold,
    warm,
    differ,
    firstDiff,
    one,
    nodeOne: median(nodeOne),
    llvmOne: median(llvmOne),
    nodeBare: median(nodeBare),
  });
}

// ---- report
console.log(`symbolize ${N} random .text addresses (seed ${SEED}); llvm = ${SYMBOLIZER} --inlines; medians of ${RUNS} runs`);
console.log('ratio = crashlab / llvm (below 1.0: crashlab is faster)\n');
const table = [];
for (const r of rows) {
  table.push([r.rel, `${fmtSize(r.size)} file, ${fmtSize(r.dwarf)} of .debug_* sections, ${r.textInsns} instructions in .text`]);
  table.push(['  (a) llvm-symbolizer, N addrs, 1 process', fmtMs(r.llvm)]);
  table.push(['  (b) crashlab in-process, cold', `${fmtMs(r.cold.total)}  (readElf ${fmtMs(r.cold.read)}, fromElf ${fmtMs(r.cold.from)}, lookups ${fmtMs(r.cold.lookups)})   ratio ${ratio(r.cold.total, r.llvm)}`]);
  table.push(['  (b) crashlab in-process, warm', `${fmtMs(r.warm.total)}  (readElf ${fmtMs(r.warm.read)}, fromElf ${fmtMs(r.warm.from)}, lookups ${fmtMs(r.warm.lookups)})   ratio ${ratio(r.warm.total, r.llvm)}`]);
  table.push(['      per lookup (warm)', `${((r.warm.lookups * 1000) / N).toFixed(2)} us`]);
  table.push([`  (c) 1 addr (${r.one}), fresh process: crashlab`, `${fmtMs(r.nodeOne)}   ratio ${ratio(r.nodeOne, r.llvmOne)}  (bare node -e '': ${fmtMs(r.nodeBare)})`]);
  table.push(['  (c) 1 addr, fresh process: llvm-symbolizer', fmtMs(r.llvmOne)]);
  table.push(['  answers differing from llvm-symbolizer', r.differ === 0 ? `0 of ${N}` : `${r.differ} of ${N}; first ${r.firstDiff}`]);
  table.push(['', '']);
}
const w = Math.max(...table.map((r) => r[0].length));
for (const [k, v] of table) console.log(k === '' ? '' : `${k.padEnd(w)}  ${v}`);
