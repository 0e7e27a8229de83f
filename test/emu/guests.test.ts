// Every bundled guest on every arch, through the real CLI: the outcome, the fault, and
// the function of every frame. Expectations come from the guests' C sources.

import test from 'ava';
import { crashlab, guest, parseFrames } from '../helpers/cli.js';
import { readElf } from '../../src/loader/elf.js';
import { ROOT } from '../helpers/cli.js';
import path from 'node:path';

const ARCHES = ['aarch64', 'x86-64', 'rv32', 'rv64'] as const;
type ArchId = (typeof ARCHES)[number];

interface Expect {
  signal?: string | ((a: ArchId) => string | undefined);
  exitCode?: number | ((a: ArchId) => number);
  reason?: RegExp | ((a: ArchId) => RegExp);
  address?: string;
  access?: string;
  size?: number;
  functions?: (string | null)[];
  stdout?: (a: ArchId) => string;
  /** How the walk ends; default: complete at main. */
  stop?: { complete: boolean; stop: string };
}

const sig = (s: string) => ({ SIGILL: 132, SIGTRAP: 133, SIGFPE: 136, SIGSEGV: 139, SIGSYS: 159 })[s]!;

const CASES: Record<string, Expect> = {
  'null-write': { signal: 'SIGSEGV', reason: /^write of 4 bytes to unmapped address 0x0$/, address: '0x0', access: 'write', size: 4, functions: ['bt_leaf', 'bt_mid', 'bt_root', 'main'] },
  'null-read': { signal: 'SIGSEGV', reason: /^read of 4 bytes from unmapped address 0x0$/, address: '0x0', access: 'read', size: 4, functions: ['reader_inner', 'reader_outer', 'main'] },
  'rodata-write': { signal: 'SIGSEGV', reason: /^write of 1 byte to read-only address 0x[0-9a-f]+$/, access: 'write', size: 1, functions: ['poke_byte', 'patch_banner', 'main'] },
  'null-fnptr': { signal: 'SIGSEGV', reason: /^instruction fetch from unmapped address 0x0$/, address: '0x0', access: 'fetch', functions: [null, 'dispatch', 'main'] },
  trap: {
    // clang's __builtin_trap: ud2 on x86-64, brk #1 on aarch64, unimp on RISC-V
    signal: (a) => (a === 'aarch64' ? 'SIGTRAP' : 'SIGILL'),
    reason: (a) => (a === 'aarch64' ? /^breakpoint \(brk\)$/ : a === 'x86-64' ? /^illegal instruction \(ud2\)$/ : /^illegal instruction$/),
    functions: ['trap_c', 'trap_b', 'trap_a', 'main'],
  },
  breakpoint: { signal: 'SIGTRAP', reason: /^breakpoint \((int3|brk|ebreak)\)$/, functions: ['bp_inner', 'bp_outer', 'main'] },
  illegal: { signal: 'SIGILL', reason: /^illegal instruction/, functions: ['ill_inner', 'ill_outer', 'main'] },
  'deep-chain': {
    signal: 'SIGSEGV',
    reason: /^write of 4 bytes to unmapped address 0x0$/,
    functions: ['f12', 'f11', 'f10', 'f9', 'f8', 'f7', 'f6', 'f5', 'f4', 'f3', 'f2', 'f1', 'main'],
  },
  'leaf-norecord': { signal: 'SIGSEGV', reason: /^write of 4 bytes to unmapped address 0x0$/, functions: ['nr_leaf', 'nr_caller', 'main'] },
  divzero: {
    signal: (a) => (a === 'x86-64' ? 'SIGFPE' : undefined),
    exitCode: (a) => (a === 'x86-64' ? 136 : 0),
    reason: () => /^integer divide by zero$/,
    functions: ['do_divide', 'div_outer', 'main'],
    // AArch64 sdiv gives 0, RISC-V div gives -1 (both ISAs define division by zero).
    stdout: (a) => (a === 'aarch64' ? '42 / 0 = 0\n' : a === 'x86-64' ? '' : '42 / 0 = -1\n'),
  },
  exit3: { exitCode: 3, stdout: () => 'exiting with 3\n' },
  // Frame #0 is in .data: named after the data symbol there, as gdb does.
  'exec-data': { signal: 'SIGSEGV', reason: /^instruction fetch from non-executable address 0x[0-9a-f]+$/, access: 'fetch', functions: ['not_code', 'jump_into_data', 'main'] },
  // Without --strict an unknown system call returns -ENOSYS (the guest prints it); the
  // --strict stop is tested below.
  'bad-syscall': { exitCode: 0, stdout: () => 'ENOSYS\n' },
  // The guest overwrote the caller-fp slot of its own record with 0x1003: the walk names
  // victim from the intact return-address slot, then stops at the bad link.
  'stack-smash': {
    signal: 'SIGSEGV',
    reason: /^write of 4 bytes to unmapped address 0x0$/,
    functions: ['smash_and_crash', 'victim'],
    stop: { complete: false, stop: 'fp-not-increasing' },
  },
};

interface Report {
  arch: string;
  outcome: { kind: string; signal?: string; exitCode: number };
  fault: null | { pc: string; reason: string; address?: string; access?: string; size?: number; cause?: string; pcExact: boolean };
  frames: { index: number; pc: string; function: string | null; offset: number | null; rule: string }[];
  backtrace: null | { complete: boolean; stop: string };
  stdout: string;
  stderr: string;
}

function runJson(args: string[]): { code: number | null; report: Report; stderr: string } {
  const r = crashlab(['emu', '--json', ...args]);
  return { code: r.code, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}

const pick = <T>(v: T | ((a: ArchId) => T) | undefined, a: ArchId): T | undefined => (typeof v === 'function' ? (v as (a: ArchId) => T)(a) : v);

for (const arch of ARCHES) {
  for (const [name, want] of Object.entries(CASES)) {
    test(`${arch} ${name}`, (t) => {
      const { code, report } = runJson([guest(arch, name)]);
      t.is(report.arch, arch);
      const signal = pick(want.signal, arch);
      if (signal) {
        t.is(report.outcome.kind, 'signal');
        t.is(report.outcome.signal, signal);
        t.is(code, sig(signal));
        t.is(report.outcome.exitCode, sig(signal));
        t.regex(report.fault!.reason, pick(want.reason, arch)!);
        t.true(report.fault!.pcExact, 'frame #0 pc is the faulting instruction');
        if (want.address) t.is(report.fault!.address, want.address);
        if (want.access) t.is(report.fault!.access, want.access);
        if (want.size) t.is(report.fault!.size, want.size);
        t.deepEqual(report.frames.map((f) => f.function), want.functions);
        t.deepEqual(report.frames.map((f) => f.index), want.functions!.map((_, i) => i));
        t.is(report.frames[0]!.pc, report.fault!.pc);
        t.deepEqual(report.backtrace && { complete: report.backtrace.complete, stop: report.backtrace.stop }, want.stop ?? { complete: true, stop: 'reached-main' });
      } else {
        t.is(report.outcome.kind, 'exit');
        const exitCode = pick(want.exitCode, arch)!;
        t.is(code, exitCode);
        t.is(report.outcome.exitCode, exitCode);
        t.is(report.fault, null);
        t.deepEqual(report.frames, []);
      }
      if (want.stdout) t.is(report.stdout, want.stdout(arch));
    });
  }

  test(`${arch} bad-syscall --strict: SIGSYS at the system call, named, with the trace to main`, (t) => {
    const { code, report } = runJson(['--strict', guest(arch, 'bad-syscall')]);
    t.is(code, sig('SIGSYS'));
    t.is(report.outcome.signal, 'SIGSYS');
    t.is(report.fault!.reason, 'unsupported system call unknown (4000) (--strict)');
    t.deepEqual(report.frames.map((f) => f.function), ['raw_syscall0', 'ask_kernel', 'main']);
    t.is(report.stdout, '');
  });

  test(`${arch} rodata-write faults at banner+5, inside .rodata`, async (t) => {
    const { report } = runJson([guest(arch, 'rodata-write')]);
    const elf = await readElf(path.join(ROOT, guest(arch, 'rodata-write')));
    const banner = elf.symbols.find((s) => s.name === 'banner')!;
    const rodata = elf.sections.find((s) => s.name === '.rodata')!;
    const addr = BigInt(report.fault!.address!);
    t.is(addr, banner.value + 5n);
    t.true(addr >= rodata.addr && addr < rodata.addr + rodata.size);
  });

  test(`${arch} exec-data: the fetch faults at the data array, inside the non-executable .data`, async (t) => {
    const { report } = runJson([guest(arch, 'exec-data')]);
    const elf = await readElf(path.join(ROOT, guest(arch, 'exec-data')));
    const target = elf.symbols.find((s) => s.name === 'not_code')!;
    t.is(BigInt(report.fault!.address!), target.value);
    t.is(report.fault!.cause, 'protected');
    t.is(report.frames[0]!.pc, report.fault!.address!);
  });

  test(`${arch} null-fnptr: frame #0 is pc 0 and frame #1 comes from the frame-0 rule`, (t) => {
    const { report } = runJson([guest(arch, 'null-fnptr')]);
    t.is(report.frames[0]!.pc, '0x0');
    t.is(report.frames[1]!.rule, arch === 'x86-64' ? 'stack-slot' : 'link-register');
  });

  test(`${arch} leaf-norecord: frame #1 comes from the frame-0 rule, frame #2 from the record chain`, (t) => {
    const { report } = runJson([guest(arch, 'leaf-norecord')]);
    t.deepEqual(report.frames.map((f) => f.rule), ['fault', arch === 'x86-64' ? 'stack-slot' : 'link-register', 'frame-record']);
  });

  test(`${arch} recursion: overflow into the stack guard, trace truncated at 256 frames`, (t) => {
    const r = crashlab(['emu', guest(arch, 'recursion')]);
    t.is(r.code, 139);
    t.regex(r.stderr, new RegExp(`^crashlab: ${arch} guest received SIGSEGV: write of \\d+ bytes? to unmapped address 0x[0-9a-f]+ \\(stack overflow into the guard region below the stack\\)\\n`));
    const frames = parseFrames(r.stderr);
    t.is(frames.length, 256);
    t.true(frames.every((f) => f.fn === 'recurse'));
    t.deepEqual(frames.map((f) => f.index), [...Array(256).keys()]);
    // Every caller frame returns to the same call site in recurse.
    t.is(new Set(frames.slice(1).map((f) => f.pc)).size, 1);
    t.regex(r.stderr, /\n\(backtrace truncated at 256 frames\)\n$/);
  });

  test(`${arch} loop: --timeout ends the run with exit 124 and the trace of where it was`, (t) => {
    const began = Date.now();
    const r = crashlab(['emu', '--timeout', '0.5', guest(arch, 'loop')]);
    t.is(r.code, 124);
    t.true(Date.now() - began < 20_000);
    t.regex(r.stderr, new RegExp(`^crashlab: ${arch} guest timed out: time limit of 0.5 s reached\\n`));
    t.deepEqual(parseFrames(r.stderr).map((f) => f.fn), ['spin', 'loop_outer', 'main']);
  });

  test(`${arch} loop: --max-insns ends the run as a timeout`, (t) => {
    const { code, report } = runJson(['--max-insns', '200000', guest(arch, 'loop')]);
    t.is(code, 124);
    t.deepEqual(report.outcome, { kind: 'timeout', exitCode: 124 });
    t.is(report.fault!.reason, 'instruction limit of 200000 reached');
    t.deepEqual(report.frames.map((f) => f.function), ['spin', 'loop_outer', 'main']);
  });

  test(`${arch} hello: output passes through in text mode, arguments reach the guest`, (t) => {
    const r = crashlab(['emu', guest(arch, 'hello'), '--', 'one', 'two words']);
    t.is(r.code, 0);
    t.true(r.stdout.startsWith(`hello from ${arch}\n`));
    t.regex(r.stdout, /one\n/);
    t.regex(r.stdout, /two words\n/);
    t.is(r.stderr, `crashlab: ${arch} guest exited with status 0\n`);
  });

  test(`${arch} exit3: the guest's stdout and stderr pass through, its status is crashlab's`, (t) => {
    const r = crashlab(['emu', guest(arch, 'exit3')]);
    t.is(r.code, 3);
    t.is(r.stdout, 'exiting with 3\n');
    t.true(r.stderr.startsWith('exit3: this line goes to stderr\n'));
    t.true(r.stderr.endsWith(`crashlab: ${arch} guest exited with status 3\n`));
  });

  test(`${arch} --json prints exactly one JSON object and nothing else on stdout`, (t) => {
    const r = crashlab(['emu', '--json', guest(arch, 'exit3')]);
    const obj = JSON.parse(r.stdout) as Report;
    t.is(obj.stdout, 'exiting with 3\n');
    t.is(obj.stderr, 'exit3: this line goes to stderr\n');
    t.is(r.stderr, '');
  });

  test(`${arch} stack-smash: the text report says where and why the walk stopped`, (t) => {
    const r = crashlab(['emu', guest(arch, 'stack-smash')]);
    t.is(r.code, 139);
    t.regex(r.stderr, /\n\(backtrace stopped: caller's frame pointer 0x1003 is not above 0x[0-9a-f]+ \(stack grows down\)\)\n$/);
  });

  test(`${arch} --arch that agrees is accepted`, (t) => {
    const r = crashlab(['emu', '--arch', arch, guest(arch, 'exit3')]);
    t.is(r.code, 3);
  });
}

test('text report: one headline and one line per frame, fixed-width hex pcs', (t) => {
  const r = crashlab(['emu', guest('rv32', 'null-write')]);
  const lines = r.stderr.trimEnd().split('\n');
  t.is(lines[0], 'crashlab: rv32 guest received SIGSEGV: write of 4 bytes to unmapped address 0x0');
  t.is(lines.length, 5);
  // Frame #0 is where the guest stopped; each caller's line ends with the evidence that found it.
  t.regex(lines[1]!, /^#0\s{2}0x[0-9a-f]{8} in [a-z_]+\+0x[0-9a-f]+ at src\/null-write\.c:\d+:\d+$/);
  for (const l of lines.slice(2)) t.regex(l, /^#\d\s{2}0x[0-9a-f]{8} in [a-z_]+\+0x[0-9a-f]+ at src\/null-write\.c:\d+:\d+ \[cfi\]$/);
  const r64 = crashlab(['emu', guest('rv64', 'null-write')]);
  t.regex(r64.stderr.split('\n')[1]!, /^#0  0x[0-9a-f]{16} in bt_leaf\+0x[0-9a-f]+ at src\/null-write\.c:7:8$/);
});
