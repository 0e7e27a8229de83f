#!/usr/bin/env node
// Benchmark: crashlab against qemu-user (Debian's qemu-user) on the same ELFs, in the same run.
//
//  1. Throughput: guests/build/<arch>/compute.elf (-O0) and compute-o2.elf (-O2) run a
//     hash loop for about a second under qemu-user and then write to NULL. Whole-process wall time, median of N runs each, for
//     `crashlab emu` and for `qemu-<arch>`; ratio = qemu time / crashlab time (1.0 = as
//     fast as qemu-user, higher is faster).
//  2. Start-up: a whole `crashlab emu` process on a small guest (null-write), median of
//     M runs, against qemu-user on the same ELF.
//
// Usage: npm run bench [-- --runs N --startup-runs M --arch rv64]
// Needs qemu-user (apt-get install qemu-user); prints one line and exits 2 without it.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT, opt, median, which } from './lib.mjs';

const RUNS = Number(opt('runs', 1));
const STARTUP_RUNS = Number(opt('startup-runs', 15));
const ARCHES = opt('arch', 'aarch64,x86-64,rv32,rv64').split(',');
const QEMU = { aarch64: 'qemu-aarch64', 'x86-64': 'qemu-x86_64', rv32: 'qemu-riscv32', rv64: 'qemu-riscv64' };

for (const a of ARCHES) {
  if (!QEMU[a]) {
    console.error(`bench: unknown arch '${a}'`);
    process.exit(2);
  }
  if (!which(QEMU[a])) {
    console.error(`bench: ${QEMU[a]} not found (apt-get install qemu-user)`);
    process.exit(2);
  }
}
if (!existsSync(path.join(ROOT, 'dist/src/cli/main.js'))) {
  console.error('bench: build first (npm run build)');
  process.exit(2);
}

function time(cmd, argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, status: r.status, signal: r.signal, stdout: r.stdout };
}

function measure(cmd, argv, runs) {
  const samples = [];
  let last;
  for (let i = 0; i < runs; i++) {
    last = time(cmd, argv);
    samples.push(last.ms);
  }
  return { ms: median(samples), last };
}

const crashlab = [path.join(ROOT, 'bin/crashlab'), 'emu', '--timeout', '900'];
console.log(`crashlab vs qemu-user, ${RUNS} runs each (median wall time, whole process)`);
console.log('');
console.log('throughput: guests/build/<arch>/<guest>.elf (hash loop, then a NULL write)');
console.log('guest       arch      crashlab     qemu-user    ratio (qemu/crashlab; >=0.7 is the aim)');
const rows = [];
for (const [g, a] of ['compute', 'compute-o2'].flatMap((g) => ARCHES.map((a) => [g, a]))) {
  const elf = `guests/build/${a}/${g}.elf`;
  const c = measure(process.execPath, [...crashlab, elf], RUNS);
  const q = measure(QEMU[a], [elf], RUNS);
  // Same guest, same work: both must print the same hash and die of SIGSEGV.
  if (c.last.stdout !== q.last.stdout) {
    console.error(`bench: ${a}: crashlab and qemu printed different output:\n${c.last.stdout}\n${q.last.stdout}`);
    process.exit(1);
  }
  if (c.last.status !== 139) console.error(`bench: ${a}: crashlab exited ${c.last.status}, expected 139`);
  const ratio = q.ms / c.ms;
  rows.push({ guest: g, arch: a, crashlab: c.ms, qemu: q.ms, ratio });
  console.log(`${g.padEnd(11)} ${a.padEnd(9)} ${(c.ms / 1000).toFixed(3).padStart(7)} s    ${(q.ms / 1000).toFixed(3).padStart(7)} s    ${ratio.toFixed(2)}x`);
}
console.log('');
console.log(`start-up: a whole process on guests/build/<arch>/null-write.elf, median of ${STARTUP_RUNS} (aim: crashlab under 150 ms)`);
console.log('arch      crashlab     qemu-user');
for (const a of ARCHES) {
  const elf = `guests/build/${a}/null-write.elf`;
  const c = measure(process.execPath, [...crashlab, elf], STARTUP_RUNS);
  const q = measure(QEMU[a], [elf], STARTUP_RUNS);
  console.log(`${a.padEnd(9)} ${c.ms.toFixed(1).padStart(7)} ms   ${q.ms.toFixed(1).padStart(7)} ms`);
}
