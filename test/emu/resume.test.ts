// Machine.run is resumable: a hook may stop the engine (Machine.pause, as a blocking
// system call or a scheduler will) and the next run() continues at the next instruction.
// Measured here on whichever engine is loaded (CI runs this file on Unicorn 2.1 and on the
// system's 2.0.1): stopping after every system call and resuming gives the same output,
// exit status and number of system calls as a straight run, on every arch, for bare-metal
// guests and static glibc programs. Resuming after a timed-out slice is exact on 2.1 only;
// on 2.0.1 the machine refuses to resume after a timeout (it corrupted guests there).

import test from 'ava';
import path from 'node:path';
import { Machine, type StopEvent } from '../../src/emu/machine.js';
import { RunInputs } from '../../src/linux/fs.js';
import { readElf } from '../../src/loader/elf.js';
import { planImage, selectArch } from '../../src/loader/image.js';
import { ROOT } from '../helpers/cli.js';

interface Outcome {
  out: string;
  stop: string;
  syscalls: number;
  runs: number;
}

async function machine(elf: string, args: string[], out: string[]): Promise<Machine> {
  const file = await readElf(path.join(ROOT, elf));
  const image = planImage(file, selectArch(file));
  return Machine.create(image, {
    argv: [elf, ...args],
    env: [],
    output: (_fd, d) => void out.push(Buffer.from(d).toString('latin1')),
    fsRoot: null,
    strict: false,
    memLimit: 1n << 30n,
    exePath: '/' + path.basename(elf),
    inputs: new RunInputs(),
  });
}

const describe = (ev: StopEvent) =>
  ev.kind === 'exit' ? `exit ${ev.code}` : ev.kind === 'signal' ? `${ev.signal} at 0x${ev.pc.toString(16)} ${ev.reason}` : ev.kind === 'breakpoint' ? `breakpoint at 0x${ev.pc.toString(16)}` : `${ev.kind} ${ev.reason}`;

/** Run to the end; with `pauseEverySyscall`, stop the engine after each system call and resume. */
async function runOnce(elf: string, args: string[], pauseEverySyscall: boolean): Promise<Outcome> {
  const out: string[] = [];
  const m = await machine(elf, args, out);
  let syscalls = 0;
  m.afterSyscall = (mm) => {
    syscalls++;
    if (pauseEverySyscall) mm.pause('test: after a system call');
  };
  try {
    const limits = { timeoutMs: 60_000, maxInsns: 0 };
    let runs = 1;
    let ev = m.run(limits);
    while (ev.kind === 'paused') {
      runs++;
      ev = m.run(limits);
    }
    return { out: out.join(''), stop: describe(ev), syscalls, runs };
  } finally {
    m.close();
  }
}

const PROGRAMS: [string, string[]][] = [
  ...['aarch64', 'x86-64', 'rv32', 'rv64'].flatMap((a): [string, string[]][] => [
    [`guests/build/${a}/hello.elf`, ['one', 'two']],
    [`guests/build/${a}/jit.elf`, ['r']],
    [`guests/build/${a}/bad-syscall.elf`, []],
  ]),
  ...['aarch64', 'x86-64', 'rv64'].flatMap((a): [string, string[]][] => [
    [`guests/linux/build/${a}/hello.elf`, ['x']],
    [`guests/linux/build/${a}/alloc.elf`, []],
    [`guests/linux/build/${a}/clock.elf`, []],
    [`guests/linux/build/${a}/bench.elf`, ['120']],
    [`guests/linux/build/${a}/abort.elf`, []],
  ]),
];

for (const [elf, args] of PROGRAMS) {
  test(`stopping after every system call and resuming is exact: ${elf} ${args.join(' ')}`, async (t) => {
    const straight = await runOnce(elf, args, false);
    const paused = await runOnce(elf, args, true);
    t.true(straight.syscalls > 0);
    // One run per system call that did not end the guest, plus the last one.
    t.true(paused.runs > 1 && paused.runs >= paused.syscalls && paused.runs <= paused.syscalls + 1, `${paused.runs} runs, ${paused.syscalls} system calls`);
    t.is(paused.out, straight.out);
    t.is(paused.stop, straight.stop);
    t.is(paused.syscalls, straight.syscalls);
  });
}

test('after a timed-out slice run() resumes exactly on 2.1, and refuses to on 2.0.1', async (t) => {
  const elf = 'guests/build/x86-64/compute.elf';
  const straight = await runOnce(elf, [], false);
  const out: string[] = [];
  const m = await machine(elf, [], out);
  try {
    let ev = m.run({ timeoutMs: 5, maxInsns: 0 });
    t.is(ev.kind, 'timeout');
    if (!m.resumableAfterTimeout) {
      t.throws(() => m.run({ timeoutMs: 5, maxInsns: 0 }), { message: /has ended|cannot resume/ });
      return;
    }
    let slices = 1;
    while (ev.kind === 'timeout') {
      ev = m.run({ timeoutMs: 5, maxInsns: 0 });
      slices++;
    }
    t.true(slices > 3, `${slices} slices`);
    t.is(out.join(''), straight.out);
    t.is(describe(ev), straight.stop);
  } finally {
    m.close();
  }
});
