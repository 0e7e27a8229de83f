#!/usr/bin/env node
// record-opt.mjs: gdb-multiarch's view of the optimized-code corpus (guests/opt), recorded
// once and committed, so the tests need no gdb:
//
//   node test/oracle/record-opt.mjs crash [filter]   -> test/oracle/gdb-opt-frames.json
//   node test/oracle/record-opt.mjs steps [filter]   -> test/oracle/gdb-opt-steps.json
//
// Each case runs `env -i qemu-<arch> -g PORT guests/opt/build/<arch>/<cfg>.elf <scenario>`
// from the repo root (the empty environment and relative path crashlab uses by default,
// so every stack address agrees), and gdb-multiarch attaches with the ELF, as
// make-oracle.sh does for the other guests:
//
// crash: `continue` to the signal, then `bt 64` (gdb goes round in circles in musl's sift
//   without CFI) with the pc of every frame (`set print frame-info location-and-address`).
//   Recorded per case: the signal, $pc, every frame's pc, function, file and line (inlined
//   frames are frames, as gdb prints them), and gdb's "Backtrace stopped: ..." line, or the
//   error that ended `bt` ("PC not saved"), if there was one.
// steps: `break *walk_all`, `continue`, then up to MAX_STEPS times: `bt`, `stepi`, until the
//   pc is walk_all's return address (x30, ra or [rsp] at its entry) or the program stops.
//   Recorded per (arch, cfg): the traces in stepi order. Frames are stored once in a
//   table and each step lists indices into it (the file stays small).
//
// Needs qemu-user, gdb-multiarch and iproute2's ss. JOBS (default 3) cases run at once;
// each takes a free port. Output keys are sorted, so a re-run gives the same file.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILD = 'guests/opt/build';
const SCENARIOS = ['chain', 'shrink', 'cold', 'tail', 'maintail', 'noreturn', 'vla', 'alloca', 'leaf', 'fnptr', 'qsort', 'recurse', 'inline', 'abort'];
/** The configurations the every-instruction check steps through: per arch, every level, one compiler, frame pointers omitted. */
export const STEP_CONFIGS = {
  'x86-64': ['gcc-O0', 'gcc-O1', 'gcc-O2', 'gcc-O3', 'gcc-Os', 'clang-O2'],
  aarch64: ['gcc-O0', 'gcc-O1', 'gcc-O2', 'gcc-O3', 'gcc-Os', 'clang-O2'],
  rv64: ['gcc-O0', 'gcc-O1', 'gcc-O2', 'gcc-O3', 'gcc-Os', 'clang-O2'],
  rv32: ['clang-O0', 'clang-O1', 'clang-O2', 'clang-O3', 'clang-Os'],
};
const MAX_STEPS = 3000;
const QEMU = { 'x86-64': 'qemu-x86_64', aarch64: 'qemu-aarch64', rv32: 'qemu-riscv32', rv64: 'qemu-riscv64' };
const GDBARCH = { 'x86-64': 'i386:x86-64', aarch64: 'aarch64', rv32: 'riscv:rv32', rv64: 'riscv:rv64' };
const RET = { 'x86-64': '*(unsigned long *)$sp', aarch64: '$x30', rv32: '$ra', rv64: '$ra' };

const mode = process.argv[2];
const filter = process.argv[3] ?? '';
if (mode !== 'crash' && mode !== 'steps') {
  console.error('usage: record-opt.mjs crash|steps [filter]');
  process.exit(2);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
const listening = (port) => spawnSync('ss', ['-Htln', `sport = :${port}`], { encoding: 'utf8' }).stdout.trim() !== '';

async function gdbSession(arch, elf, args, commands) {
  const port = await freePort();
  // A command file, not -ex: gdb reads a `while` body only from a script.
  const script = path.join(fs.mkdtempSync('/tmp/record-opt-'), 'cmds.gdb');
  fs.writeFileSync(script, commands.join('\n') + '\n');
  const qemu = spawn('timeout', ['120', 'env', '-i', spawnSync('sh', ['-c', `command -v ${QEMU[arch]}`], { encoding: 'utf8' }).stdout.trim(), '-g', String(port), elf, ...args], { cwd: ROOT, stdio: 'ignore' });
  for (let i = 0; i < 200 && !listening(port); i++) await new Promise((r) => setTimeout(r, 25));
  const gdbArgs = ['-batch', '-nx',
    '-ex', 'set pagination off', '-ex', 'set confirm off', '-ex', 'set width 0', '-ex', 'set height 0',
    '-ex', `set architecture ${GDBARCH[arch]}`,
    '-ex', 'set print frame-info location-and-address', '-ex', 'set print frame-arguments none',
    '-ex', `target remote 127.0.0.1:${port}`,
    '-x', script, '-ex', 'echo === end\\n', '-ex', 'kill', elf];
  const out = await new Promise((resolve) => {
    const g = spawn('timeout', ['60', 'gdb-multiarch', ...gdbArgs], { cwd: ROOT });
    let text = '';
    g.stdout.on('data', (d) => (text += d));
    g.stderr.on('data', (d) => (text += d));
    g.on('close', () => resolve(text));
  });
  fs.rmSync(path.dirname(script), { recursive: true, force: true });
  qemu.kill();
  await new Promise((r) => (qemu.exitCode !== null ? r() : qemu.on('close', r)));
  return out;
}

/** gdb's bt lines as frames. */
function parseBt(text, where) {
  const frames = [];
  let stopped = null;
  for (const line of text.split('\n')) {
    const s = /^Backtrace stopped: (.*)$/.exec(line);
    if (s) stopped = s[1];
    if (!line.startsWith('#')) continue;
    // "#1  0x0000000000401239 in bp_outer (...) at ./src/breakpoint.c:12"
    const m = /^#(\d+)\s+(?:(0x[0-9a-f]+) in )?(\S+) \(/.exec(line);
    if (!m) throw new Error(`${where}: unparsed frame line: ${line}`);
    if (Number(m[1]) !== frames.length) throw new Error(`${where}: frame numbering: ${line}`);
    const f = { pc: m[2] ? '0x' + BigInt(m[2]).toString(16) : null, function: m[3] };
    const at = / at (\S+):(\d+)$/.exec(line);
    if (at) {
      f.file = at[1].replace(/^(\.\/)+/, '');
      f.line = Number(at[2]);
    }
    frames.push(f);
  }
  return { frames, stopped };
}

function configs() {
  const out = [];
  for (const arch of ['x86-64', 'aarch64', 'rv32', 'rv64']) {
    const dir = path.join(ROOT, BUILD, arch);
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.elf')).sort()) out.push({ arch, cfg: f.slice(0, -4), elf: `${BUILD}/${arch}/${f}` });
  }
  return out;
}

async function crashCase({ arch, cfg, elf }, scenario) {
  const key = `${arch}/${cfg}/${scenario}`;
  const text = await gdbSession(arch, elf, [scenario], ['continue', 'echo === pc\\n', 'p/x $pc', 'echo === bt\\n', 'bt 64', 'echo === done\\n']);
  const sig = /^Program received signal (SIG[A-Z0-9]+),/m.exec(text);
  if (!sig) throw new Error(`${key}: no signal in\n${text}`);
  const pc = /^=== pc\n\$\d+ = (0x[0-9a-f]+)$/m.exec(text);
  // "=== end" comes from the -ex after the command file, which an error in `bt` ends early.
  const bt = /^=== bt\n([\s\S]*?)^=== (?:done|end)/m.exec(text);
  if (!pc || !bt) throw new Error(`${key}: no pc or backtrace in\n${text}`);
  let { frames, stopped } = parseBt(bt[1], key);
  if (!/^=== done/m.test(text)) {
    // An error ended `bt` (and the command file) early; gdb printed it on stderr, which
    // arrives in its own order. gdb 13 says "PC not saved" for a frame whose CFI keeps the
    // return address in a register its own call overwrote.
    const err = /^(PC not saved|Cannot access memory at address \S+)$/m.exec(text);
    if (!err) throw new Error(`${key}: bt ended early without a known error in\n${text}`);
    stopped = err[1];
  }
  const entry = { signal: sig[1], pc: '0x' + BigInt(pc[1]).toString(16), frames };
  if (stopped) entry.stopped = stopped;
  return [key, entry];
}

async function stepsCase({ arch, cfg, elf }) {
  const key = `${arch}/${cfg}`;
  const text = await gdbSession(arch, elf, ['walk'], [
    'break *walk_all', 'continue', `set $ret = ${RET[arch]}`, 'set $i = 0',
    `while $i < ${MAX_STEPS} && $pc != $ret`, 'echo === step\\n', 'bt', 'stepi', 'set $i = $i + 1', 'end',
  ]);
  const table = [];
  const ids = new Map();
  const steps = [];
  for (const chunk of text.split('=== step\n').slice(1)) {
    const { frames, stopped } = parseBt(chunk.split('=== end')[0], key);
    if (!frames.length) throw new Error(`${key}: step ${steps.length} without frames`);
    const row = frames.map((f) => {
      const s = JSON.stringify(f);
      if (!ids.has(s)) {
        ids.set(s, table.length);
        table.push(f);
      }
      return ids.get(s);
    });
    steps.push(stopped ? { frames: row, stopped } : row);
  }
  if (steps.length === 0 || steps.length >= MAX_STEPS) throw new Error(`${key}: ${steps.length} steps`);
  return [key, { steps: steps.length, frames: table, trace: steps }];
}

const outFile = process.env.OUT ?? path.join(ROOT, 'test/oracle', mode === 'crash' ? 'gdb-opt-frames.json' : 'gdb-opt-steps.json');
// RESUME=1 keeps the entries of an earlier, interrupted run and records only the others.
const result = (filter || process.env.RESUME) && fs.existsSync(outFile) ? JSON.parse(fs.readFileSync(outFile, 'utf8')) : {};
const have = (k) => !!process.env.RESUME && k in result;
const jobs = [];
for (const c of configs()) {
  if (mode === 'crash') {
    for (const s of SCENARIOS) {
      if (s === 'abort' && c.arch === 'rv32') continue;
      if (`${c.arch}/${c.cfg}/${s}`.includes(filter) && !have(`${c.arch}/${c.cfg}/${s}`)) jobs.push(() => crashCase(c, s));
    }
  } else if ((STEP_CONFIGS[c.arch] ?? []).includes(c.cfg) && `${c.arch}/${c.cfg}`.includes(filter) && !have(`${c.arch}/${c.cfg}`)) {
    jobs.push(() => stepsCase(c));
  }
}
function save() {
  const sorted = Object.fromEntries(Object.keys(result).sort().map((k) => [k, result[k]]));
  fs.writeFileSync(outFile, (mode === 'crash' ? JSON.stringify(sorted, null, 1) : JSON.stringify(sorted)) + '\n');
}
let next = 0;
let failed = 0;
let done = 0;
const width = Number(process.env.JOBS ?? 3);
await Promise.all(Array.from({ length: width }, async () => {
  while (next < jobs.length) {
    let k, v;
    const job = jobs[next++];
    // One retry: a gdb session can lose its race with qemu's gdbstub on a loaded machine.
    try {
      [k, v] = await job();
    } catch (e) {
      try {
        [k, v] = await job();
      } catch (e2) {
        console.error(`record-opt: ${e2.message}`);
        failed++;
        continue;
      }
    }
    result[k] = v;
    if (++done % 50 === 0) {
      console.error(`record-opt: ${done}/${jobs.length}`);
      save();
    }
  }
}));
save();
if (failed) process.exitCode = 1;
console.error(`record-opt: ${failed} failed; wrote ${Object.keys(result).length} entries to ${path.relative(ROOT, outFile)}`);
