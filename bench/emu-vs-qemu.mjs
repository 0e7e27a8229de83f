#!/usr/bin/env node
// Benchmark: crashlab against qemu-user (Debian's qemu-user) on the same ELFs, in the same run.
//
//  1. Throughput, per arch, each ELF under `crashlab emu` and under `qemu-<arch>`, runs
//     interleaved (crashlab, qemu, crashlab, ...) so both meet the same machine load:
//       compute.elf     -O0 hash loop (~1 s under qemu-user), then a NULL write;
//       compute-o2.elf  the same at -O2;
//       stores.elf      -O0 fill + prefix sum over an array: nearly every statement stores;
//       randmem.elf     -O2 random read-modify-writes over 256 MiB: far more pages than
//                       any TLB holds, so crashlab's TLB-fill hook runs (it grows the TLB).
//     ratio = qemu time / crashlab time (1.0 = as fast as qemu-user). Aims: 0.8x at -O2,
//     0.5x at -O0. Wall time of the whole process, median of N; and CPU time (user + system,
//     from /usr/bin/time when installed), which other processes on a busy machine disturb less.
//  2. A fault at the end of a long run: stores.elf with and without its final NULL write
//     under crashlab; the faulting run should cost at most 1.1x (no replay on Unicorn 2.1).
//  3. Start-up: a whole `crashlab emu` process on guests/build/<arch>/null-write.elf against
//     `node -e 0`, median of M runs each (aim: crashlab at most 100 ms).
//
// Usage: npm run bench [-- --runs N --startup-runs M --arch rv64 --guests stores,randmem]
// Needs qemu-user (apt-get install qemu-user); prints one line and exits 2 without it.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, opt, median, which } from './lib.mjs';

const RUNS = Number(opt('runs', 3));
const STARTUP_RUNS = Number(opt('startup-runs', 9));
const ARCHES = opt('arch', 'aarch64,x86-64,rv32,rv64').split(',');
const GUESTS = opt('guests', 'compute,compute-o2,stores,randmem').split(',');
const QEMU = { aarch64: 'qemu-aarch64', 'x86-64': 'qemu-x86_64', rv32: 'qemu-riscv32', rv64: 'qemu-riscv64' };
const AIM = { compute: 0.5, 'compute-o2': 0.8, stores: 0.5, randmem: 0.8 };
const EXIT = { compute: 139, 'compute-o2': 139, stores: 0, randmem: 0 };

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
if (!existsSync(path.join(ROOT, 'dist/crashlab.cjs'))) {
  console.error('bench: build first (npm run build)');
  process.exit(2);
}
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const timeFile = path.join(os.tmpdir(), `crashlab-bench-${process.pid}.time`);

/** One run: wall ms, CPU ms (or NaN), exit status, stdout. */
function run(cmd, argv) {
  const [c, a] = TIME ? [TIME, ['-f', '%U %S', '-o', timeFile, cmd, ...argv]] : [cmd, argv];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(c, a, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: {} });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  let cpu = NaN;
  if (TIME) {
    const [u, s] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    cpu = (u + s) * 1000;
  }
  // /usr/bin/time reports a signal death as "Command terminated by signal N" and exits 128+N.
  return { ms, cpu, status: r.status, stdout: r.stdout };
}

/** Interleaved runs of several commands; medians of wall and CPU time, and the last run of each. */
function measure(cmds, runs) {
  const samples = cmds.map(() => []);
  for (let i = 0; i < runs; i++) cmds.forEach(([cmd, argv], k) => samples[k].push(run(cmd, argv)));
  return samples.map((xs) => ({ ms: median(xs.map((x) => x.ms)), cpu: median(xs.map((x) => x.cpu)), last: xs[xs.length - 1] }));
}

const crashlab = [process.execPath, [path.join(ROOT, 'bin/crashlab'), 'emu', '--timeout', '900']];
const emu = (elf, ...args) => [crashlab[0], [...crashlab[1], elf, ...(args.length ? ['--', ...args] : [])]];
const fmt = (ms) => `${(ms / 1000).toFixed(3).padStart(7)} s`;
const ratio = (q, c) => (Number.isFinite(q) && Number.isFinite(c) ? `${(q / c).toFixed(2)}x` : '-');

const engine = spawnSync(process.execPath, [path.join(ROOT, 'bin/crashlab'), '--version'], { encoding: 'utf8' }).stdout.trim().split('\n').pop();
console.log(`crashlab vs qemu-user (${engine}), median of ${RUNS} interleaved runs, whole process`);
console.log(`ratio = qemu time / crashlab time; wall time${TIME ? ' and CPU time (user + system)' : ''}`);
console.log('');
console.log('guest       arch      crashlab     qemu-user    ratio   aim   ' + (TIME ? 'CPU: crashlab  qemu-user  ratio' : ''));
let failed = false;
for (const g of GUESTS) {
  for (const a of ARCHES) {
    const elf = `guests/build/${a}/${g}.elf`;
    const [c, q] = measure([emu(elf), [QEMU[a], [elf]]], RUNS);
    // Same guest, same work: both must print the same bytes and end the same way.
    const qStatus = q.last.status;
    if (c.last.stdout !== q.last.stdout || c.last.status !== EXIT[g] || (qStatus !== EXIT[g] && !(EXIT[g] === 139 && qStatus !== 0))) {
      console.error(`bench: ${g} ${a}: crashlab (exit ${c.last.status}) and qemu (exit ${qStatus}) disagree:\n${c.last.stdout}\n---\n${q.last.stdout}`);
      failed = true;
      continue;
    }
    const cpu = TIME ? `      ${fmt(c.cpu)}  ${fmt(q.cpu)}  ${ratio(q.cpu, c.cpu)}` : '';
    console.log(`${g.padEnd(11)} ${a.padEnd(9)} ${fmt(c.ms)}    ${fmt(q.ms)}    ${ratio(q.ms, c.ms).padStart(5)}   ${AIM[g]}${cpu}`);
  }
}

console.log('');
console.log('a fault at the end of a long run: stores.elf, and stores.elf fault (the same run, then a NULL write)');
console.log('arch      exit         fault        fault/exit (aim: at most 1.1x)' + (TIME ? '   CPU fault/exit' : ''));
for (const a of ARCHES) {
  const elf = `guests/build/${a}/stores.elf`;
  const [ok, bad] = measure([emu(elf), emu(elf, 'fault')], RUNS);
  if (ok.last.status !== 0 || bad.last.status !== 139) {
    console.error(`bench: stores ${a}: exits ${ok.last.status} and ${bad.last.status}, expected 0 and 139`);
    failed = true;
    continue;
  }
  console.log(`${a.padEnd(9)} ${fmt(ok.ms)}    ${fmt(bad.ms)}    ${(bad.ms / ok.ms).toFixed(2)}x` + (TIME ? `                  ${(bad.cpu / ok.cpu).toFixed(2)}x` : ''));
}

console.log('');
console.log(`start-up: a whole process on guests/build/<arch>/null-write.elf, median of ${STARTUP_RUNS} (aim: crashlab at most 100 ms)`);
console.log('arch      crashlab     node -e 0    ratio    qemu-user');
for (const a of ARCHES) {
  const elf = `guests/build/${a}/null-write.elf`;
  const [c, n, q] = measure([emu(elf), [process.execPath, ['-e', '0']], [QEMU[a], [elf]]], STARTUP_RUNS);
  console.log(`${a.padEnd(9)} ${c.ms.toFixed(1).padStart(7)} ms   ${n.ms.toFixed(1).padStart(7)} ms   ${(c.ms / n.ms).toFixed(2)}x   ${q.ms.toFixed(1).padStart(7)} ms`);
}
rmSync(timeFile, { force: true });
if (failed) process.exitCode = 1;
