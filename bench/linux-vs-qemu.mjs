#!/usr/bin/env node
// Benchmark: the same Linux program (guests/linux/src/bench.c, static glibc, -O1) under
// crashlab and under qemu-user, per arch, in the same run. The program hashes a 4096-word
// array and insertion-sorts its head, ROUNDS times, printing one line every 50 rounds:
// about 300 million guest instructions at the default 30000 rounds. Whole-process wall time,
// median of N runs; ratio = qemu time / crashlab time (1.0 = as fast as qemu-user; the aim
// is 0.8). Both must print the same bytes and exit 0.
//
// Usage: npm run build && node bench/linux-vs-qemu.mjs [--runs N] [--rounds R] [--arch rv64,aarch64,x86-64]
// Needs qemu-user (apt-get install qemu-user); prints one line and exits 2 without it.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT, opt, median, which } from './lib.mjs';

const RUNS = Number(opt('runs', 3));
const ROUNDS = String(opt('rounds', 30000));
const ARCHES = opt('arch', 'rv64,aarch64,x86-64').split(',');
const QEMU = { aarch64: 'qemu-aarch64', 'x86-64': 'qemu-x86_64', rv64: 'qemu-riscv64' };

for (const a of ARCHES) {
  if (!QEMU[a]) {
    console.error(`bench: unknown arch '${a}' (Linux guests are built for ${Object.keys(QEMU).join(', ')})`);
    process.exit(2);
  }
  if (!which(QEMU[a])) {
    console.error(`bench: ${QEMU[a]} not found (apt-get install qemu-user)`);
    process.exit(2);
  }
}
if (!existsSync(path.join(ROOT, 'dist/crashlab.cjs'))) {
  console.error('bench: build first (npm run build)');
  process.exit(2);
}

function time(cmd, argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: {} });
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, status: r.status, stdout: r.stdout };
}

function measure(cmd, argv) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(time(cmd, argv));
  return { ms: median(runs.map((r) => r.ms)), last: runs[runs.length - 1] };
}

console.log(`guests/linux/build/<arch>/bench.elf ${ROUNDS}: crashlab vs qemu-user, median of ${RUNS} (whole process)`);
console.log('arch      crashlab     qemu-user    ratio (qemu/crashlab; the aim is >= 0.8)');
for (const a of ARCHES) {
  const elf = `guests/linux/build/${a}/bench.elf`;
  const c = measure(process.execPath, [path.join(ROOT, 'bin/crashlab'), 'emu', '--timeout', '900', elf, '--', ROUNDS]);
  const q = measure(QEMU[a], [elf, ROUNDS]);
  if (c.last.stdout !== q.last.stdout || c.last.status !== 0 || q.last.status !== 0) {
    console.error(`bench: ${a}: crashlab (exit ${c.last.status}) and qemu (exit ${q.last.status}) disagree:\n${c.last.stdout}\n---\n${q.last.stdout}`);
    process.exit(1);
  }
  console.log(`${a.padEnd(9)} ${(c.ms / 1000).toFixed(3).padStart(7)} s    ${(q.ms / 1000).toFixed(3).padStart(7)} s    ${(q.ms / c.ms).toFixed(3)}x`);
}
