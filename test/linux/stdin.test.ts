// Host input never holds the emulator past the run's time limit: a guest that reads a
// stdin that never ends (or never closes) stops at --timeout, reported as a timeout in the
// read, and input that arrives late but in time is read as it comes.

import test from 'ava';
import { spawn } from 'node:child_process';
import { BIN, ROOT } from '../helpers/cli.js';

const ARCHES = ['rv64', 'aarch64', 'x86-64'] as const;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run crashlab with a stdin pipe that the test controls; `feed` writes to it (or never closes it). */
function run(args: string[], feed: (stdin: NodeJS.WritableStream) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, CRASHLAB_DEBUG: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.on('error', () => {}); // the guest may be gone before the test writes
    // A hang would keep the test waiting forever: kill it well past any sane limit.
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      child.stdin.destroy();
      resolve({ code, stdout, stderr, ms: performance.now() - began });
    });
    feed(child.stdin);
  });
}

for (const arch of ARCHES) {
  const elf = `guests/linux/build/${arch}/readfile.elf`;

  test(`${arch}: a read of a stdin that never closes stops at --timeout, in the read`, async (t) => {
    const r = await run(['emu', '--timeout', '1', elf, '--', '-'], () => {});
    t.is(r.code, 124, r.stderr);
    t.regex(r.stderr, /timed out: time limit of 1 s reached/);
    t.regex(r.stderr.split('\n').find((l) => l.startsWith('#0')) ?? '', /read/);
    t.regex(r.stderr, /in main\+0x[0-9a-f]+ at src\/readfile\.c:47/);
    // The limit holds in wall time: crashlab's start-up plus a margin, never the 60 s guard.
    t.true(r.ms < 10_000, `ended after ${r.ms} ms`);
  });

  test(`${arch}: --json: a read of stdin that blocks after some input is a timeout, traced to main`, async (t) => {
    const r = await run(['emu', '--json', '--timeout', '1', elf, '--', '-'], (s) => s.write('partial line\n'));
    t.is(r.code, 124, r.stderr);
    const j = JSON.parse(r.stdout) as { outcome: { kind: string; hang?: boolean }; fault: { reason: string }; frames: { function: string | null }[] };
    t.is(j.outcome.kind, 'timeout');
    t.falsy(j.outcome.hang); // input could still have come: not a deadlock
    t.is(j.fault.reason, 'time limit of 1 s reached');
    t.deepEqual(j.frames.slice(-2).map((f) => f.function), ['show', 'main']);
  });

  test(`${arch}: input that arrives late but in time is read as it comes`, async (t) => {
    const r = await run(['emu', '--timeout', '20', elf, '--', '-'], (s) => {
      s.write('first\n');
      setTimeout(() => {
        s.write('second\n');
        s.end();
      }, 400);
    });
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, 'first\nsecond\n-: read 13 bytes\n');
  });
}
