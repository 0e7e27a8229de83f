#!/usr/bin/env node
// Benchmark: the whole golden suite (every case of guests/cases on every arch), three ways,
// in the same run:
//  1. `crashlab golden --jobs <cores>`: worker processes, each running cases in-process;
//  2. `crashlab golden --jobs 1`: one process, in-process, sequential;
//  3. the naive way: one `crashlab emu` process per (case, arch), sequentially.
// Prints wall time and runs per second. Aim: the whole suite in under 5 s on 2 cores.
// Usage: npm run build && node bench/golden-suite.mjs

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ROOT } from './lib.mjs';

const BIN = path.join(ROOT, 'bin/crashlab');
const cores = os.availableParallelism();

function timed(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, status: r.status, stdout: r.stdout };
}

const cases = readdirSync(path.join(ROOT, 'guests/cases')).filter((f) => f.endsWith('.json'));
const runs = [];
for (const f of cases) {
  const c = JSON.parse(readFileSync(path.join(ROOT, 'guests/cases', f), 'utf8'));
  for (const a of c.arches ?? ['aarch64', 'x86-64', 'rv32', 'rv64']) {
    runs.push(['emu', ...(c.options ?? []), `guests/build/${a}/${c.program}.elf`, ...(c.args?.length ? ['--', ...c.args] : [])]);
  }
}

const row = (name, ms) => console.log(`${name.padEnd(44)} ${(ms / 1000).toFixed(2).padStart(7)} s  ${(runs.length / (ms / 1000)).toFixed(1).padStart(7)} runs/s`);
console.log(`golden suite: ${cases.length} cases, ${runs.length} runs, ${cores} cores`);
const par = timed(['golden', '--jobs', String(cores)]);
if (par.status !== 0) console.error(`(crashlab golden exited ${par.status})`);
row(`crashlab golden --jobs ${cores}`, par.ms);
row('crashlab golden --jobs 1', timed(['golden', '--jobs', '1']).ms);
let naive = 0;
for (const r of runs) naive += timed(r).ms;
row('one crashlab emu process per run (naive)', naive);
