// Real Linux programs (static glibc for rv64, aarch64 and x86-64; musl for x86-64), built
// from guests/linux/src by guests/linux/Makefile, run through the real CLI: output and
// status, argv and env, each crash's signal and frames, determinism, the --fs sandbox,
// stdin, unknown system calls with and without --strict, and hostile requests.

import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { crashlab, parseFrames, ROOT } from '../helpers/cli.js';
import { ARCHES, BUILDS, elf, musl } from '../helpers/linux.js';
import { snapshot } from '../helpers/tree.js';

interface Json {
  outcome: { kind: string; signal?: string; exitCode: number; hang?: boolean };
  fault: { reason: string; pc: string } | null;
  frames: { function: string | null; file: string | null; line: number | null; rule: string }[];
  backtrace: { complete: boolean; stop: string; detail: string } | null;
  unsupportedSyscalls: { name: string; number: number; count: number }[];
  stdout: string;
  stderr: string;
}

function json(args: string[], opts: { input?: string } = {}): Json {
  const r = crashlab(['emu', '--json', ...args], { timeoutMs: 60_000, ...opts });
  try {
    return JSON.parse(r.stdout) as Json;
  } catch {
    throw new Error(`crashlab emu --json ${args.join(' ')}: exit ${r.code}, no JSON\n${r.stderr}`);
  }
}

const fns = (j: Json) => j.frames.map((f) => f.function);

for (const b of BUILDS) {
  test(`${b.label}: hello world prints its argv and environment, stdout and stderr apart, exit 0`, (t) => {
    const r = crashlab(['emu', '--env', 'GREETING=bonjour', b.path('hello'), '--', 'one', 'two words']);
    t.is(r.code, 0, r.stderr);
    t.is(
      r.stdout,
      `hello, world\nargv[0] = ${b.path('hello')}\nargv[1] = one\nargv[2] = two words\nGREETING = bonjour\nback on stdout\n`,
    );
    t.regex(r.stderr, /^to stderr\n/);
    t.regex(r.stderr, new RegExp(`crashlab: ${b.arch} guest exited with status 0\n$`));
  });

  test(`${b.label}: the environment is empty unless --env sets it`, (t) => {
    const r = crashlab(['emu', b.path('hello')]);
    t.is(r.code, 0);
    t.regex(r.stdout, /^GREETING = \(unset\)$/m);
  });

  test(`${b.label}: exit(42) from a nested call is crashlab's status`, (t) => {
    const r = crashlab(['emu', b.path('exit42')]);
    t.is(r.code, 42);
    t.is(r.stdout, 'exiting with 42\n');
  });

  test(`${b.label}: a null write three calls below main is SIGSEGV with every frame and line`, (t) => {
    const j = json([b.path('crash')]);
    t.is(j.outcome.signal, 'SIGSEGV');
    t.is(j.outcome.exitCode, 139);
    t.is(j.fault!.reason, 'write of 4 bytes to unmapped address 0x0');
    t.deepEqual(fns(j), ['store', 'middle', 'outer', 'main']);
    t.deepEqual(
      j.frames.map((f) => `${f.file}:${f.line}`),
      ['src/crash.c:4', 'src/crash.c:5', 'src/crash.c:6', 'src/crash.c:12'],
    );
    t.true(j.backtrace!.complete);
    t.is(j.stdout, 'about to crash\n');
  });

  test(`${b.label}: allocating and freeing megabytes (brk, mmap, mremap, munmap) works`, (t) => {
    const r = crashlab(['emu', b.path('alloc')]);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, 'allocated and freed, checksum 328420\n');
  });
}

/** The frames of the program's own code that a self-raised signal must reach, innermost first. */
const RAISED: Record<string, { prog: string; signal: string; own: string[]; stderr?: RegExp }> = {
  abort: { prog: 'abort', signal: 'SIGABRT', own: ['give_up', 'check', 'main'], stderr: /^giving up: v is not 7$/m },
  assert: {
    prog: 'assert',
    signal: 'SIGABRT',
    own: ['half', 'quarter', 'main'],
    // glibc's and musl's wording
    stderr: /assert\.c:6: half: Assertion `n % 2 == 0 && "n must be even"' failed\.|Assertion failed: n % 2 == 0 && "n must be even" \(src\/assert\.c: half: 6\)/,
  },
  raise: { prog: 'raise', signal: 'SIGSEGV', own: ['signal_it', 'main'] },
};

for (const b of BUILDS) {
  for (const [name, c] of Object.entries(RAISED)) {
    if (b.libc === 'musl' && name === 'raise') continue;
    test(`${b.label}: ${name} ends the run as ${c.signal}, traced from the kill through libc into the program`, (t) => {
      const r = crashlab(['emu', b.path(c.prog)]);
      const j = json([b.path(c.prog)]);
      t.is(j.outcome.signal, c.signal);
      t.is(r.code, c.signal === 'SIGABRT' ? 134 : 139);
      t.regex(j.fault!.reason, new RegExp(`^${c.signal} raised by the program \\((tgkill|pending until rt_sigprocmask unblocked it)\\)$`));
      if (c.stderr) t.regex(j.stderr, c.stderr);
      // Frame #0 is inside libc, at the system call that sent the signal.
      t.is(j.frames[0]!.rule, 'fault');
      t.is(j.frames[0]!.file, null);
      const names = fns(j);
      // The program's own frames, in order, at the end of the trace.
      t.deepEqual(names.slice(-c.own.length), c.own, `frames: ${names.join(' <- ')}`);
      t.true(j.backtrace!.complete, j.backtrace?.detail);
      // The text report shows the same frames.
      t.deepEqual(
        parseFrames(r.stderr).map((f) => f.fn.replace(/\+0x[0-9a-f]+$/, '')),
        names.map((n) => n ?? '??'),
      );
    });
  }
}

test('x86-64 glibc: frames glibc keeps without a frame record are found through .eh_frame (rule cfi)', (t) => {
  const j = json([elf('x86-64', 'abort')]);
  const kill = j.frames.findIndex((f) => f.function?.startsWith('__pthread_kill_implementation'));
  t.is(kill, 0);
  t.is(j.frames[1]!.rule, 'cfi');
  t.true(j.frames.some((f) => f.function === 'abort' && f.rule === 'cfi'));
  t.is(j.frames.find((f) => f.function === 'give_up')!.rule, 'cfi');
  const r = crashlab(['emu', elf('x86-64', 'abort')]);
  t.notRegex(r.stderr, /backtrace stopped/);
});

for (const a of ARCHES) {
  test(`${a}: two runs give byte-identical output and reports (virtual clock, fixed ids and random bytes)`, (t) => {
    const one = crashlab(['emu', elf(a, 'clock')]);
    const two = crashlab(['emu', elf(a, 'clock')]);
    t.is(one.code, 0, one.stderr);
    t.is(one.stdout, two.stdout);
    t.is(one.stderr, two.stderr);
    const j1 = crashlab(['emu', '--json', elf(a, 'abort')]);
    const j2 = crashlab(['emu', '--json', elf(a, 'abort')]);
    t.is(j1.stdout, j2.stdout);
    t.is(j1.stderr, j2.stderr);
    // And the values are the fixed ones, not the host's.
    const m = { rv64: 'riscv64', aarch64: 'aarch64', 'x86-64': 'x86_64' }[a];
    t.regex(one.stdout, /^realtime 1704067200\.\d{9} monotonic 0\.\d{9} tv 1704067200\.\d{6}$/m);
    t.regex(one.stdout, /^pid 1000 ppid 1 uid 1000 gid 1000$/m);
    t.regex(one.stdout, new RegExp(`^uname Linux 6\\.1\\.0 ${m}$`, 'm'));
    t.regex(one.stdout, /^getrandom 8:( [0-9a-f]{2}){8}$/m);
    t.regex(one.stdout, /^isatty\(1\) 0$/m);
  });
}

/** A scratch tree: <tmp>/root (given to --fs) and a secret beside it that must stay unreadable. */
function sandboxTree(): { dir: string; root: string; secret: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crashlab-fs-'));
  const root = path.join(dir, 'root');
  mkdirSync(path.join(root, 'sub'), { recursive: true });
  writeFileSync(path.join(root, 'data.txt'), 'first line\nsecond line\n');
  writeFileSync(path.join(root, 'sub', 'note.txt'), 'in a subdirectory\n');
  const secret = path.join(dir, 'secret.txt');
  writeFileSync(secret, 'HOST SECRET\n');
  symlinkSync(secret, path.join(root, 'abs-link')); // absolute target outside the root
  symlinkSync('../secret.txt', path.join(root, 'rel-link')); // relative target climbing out
  symlinkSync('sub/note.txt', path.join(root, 'good-link')); // a link that stays inside
  return { dir, root, secret };
}

for (const b of BUILDS) {
  test(`${b.label}: --fs DIR is the guest's root, read-only underneath its private overlay; nothing outside it is readable`, (t) => {
    const s = sandboxTree();
    try {
      const before = snapshot(s.dir);
      const r = crashlab([
        'emu', '--fs', s.root, b.path('readfile'), '--',
        '/data.txt', 'sub/note.txt', '/good-link', '/sub/../data.txt',
        '../secret.txt', '/../../secret.txt', '/abs-link', '/rel-link', s.secret, '/etc/passwd',
      ]);
      t.is(r.code, 1, r.stderr); // some paths failed, as they must
      t.notRegex(r.stdout, /HOST SECRET/);
      // Opening for writing succeeds (the overlay takes the writes); the host file is untouched.
      t.regex(r.stdout, /^\/data\.txt: 23 bytes\nfirst line\nsecond line\n\/data\.txt: read 23 bytes\n\/data\.txt: at offset 2: rst\n\/data\.txt: open for writing: succeeded$/m);
      t.regex(r.stdout, /^sub\/note\.txt: read 18 bytes$/m);
      t.regex(r.stdout, /^\/good-link: read 18 bytes$/m);
      t.regex(r.stdout, /^\/sub\/\.\.\/data\.txt: read 23 bytes$/m);
      for (const p of ['../secret.txt', '/../../secret.txt', '/abs-link', '/rel-link', s.secret, '/etc/passwd']) {
        t.regex(r.stdout, new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: open failed: (ENOENT|EACCES)$`, 'm'));
      }
      t.deepEqual(snapshot(s.dir), before, 'the host tree is unchanged');
    } finally {
      rmSync(s.dir, { recursive: true, force: true });
    }
  });

  test(`${b.label}: without --fs the guest sees an empty root: no host file, its own /proc`, (t) => {
    const s = sandboxTree();
    try {
      const r = crashlab(['emu', b.path('readfile'), '--', s.secret, '/etc/hostname', 'relative.txt', '/proc/self/maps']);
      t.is(r.code, 1);
      t.notRegex(r.stdout, /HOST SECRET/);
      t.is(r.stdout.split('\n').filter((l) => / open failed: ENOENT$/.test(l)).length, 3, r.stdout);
      // /proc/self/maps is the guest's own address space, not the host's (no node, no libc.so).
      t.regex(r.stdout, /^[0-9a-f]{8,}-[0-9a-f]{8,} r-xp [0-9a-f]{8} 08:03 \d+ +\/readfile(-musl)?\.elf$/m);
      t.regex(r.stdout, /^[0-9a-f]{8,}-[0-9a-f]{8,} rw-p 00000000 00:00 0 +\[stack\]$/m);
      t.notRegex(r.stdout, /node|\.so/);
    } finally {
      rmSync(s.dir, { recursive: true, force: true });
    }
  });

  test(`${b.label}: stdin is passed through to the guest`, (t) => {
    const r = crashlab(['emu', b.path('readfile'), '--', '-'], { input: 'piped in\nand more\n' });
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, 'piped in\nand more\n-: read 18 bytes\n');
  });
}

for (const a of ARCHES) {
  const nr = a === 'x86-64' ? 135 : 92;
  test(`${a}: an unknown system call returns ENOSYS and is reported by name and number`, (t) => {
    const r = crashlab(['emu', elf(a, 'unknown-syscall')]);
    t.is(r.code, 0);
    t.is(r.stdout, 'personality: -1 (ENOSYS)\n');
    t.regex(r.stderr, new RegExp(`unsupported system call personality \\(${nr}\\); it returned -ENOSYS`));
    t.regex(r.stderr, new RegExp(`^\\(system calls crashlab does not implement returned ENOSYS: personality \\(${nr}\\)\\)$`, 'm'));
    const j = json([elf(a, 'unknown-syscall')]);
    t.deepEqual(j.unsupportedSyscalls, [{ name: 'personality', number: nr, count: 1 }]);
  });

  test(`${a}: --strict makes an unknown system call a fatal, reported SIGSYS stop`, (t) => {
    const r = crashlab(['emu', '--strict', elf(a, 'unknown-syscall')]);
    t.is(r.code, 159);
    t.is(r.stdout, '');
    t.regex(r.stderr, new RegExp(`received SIGSYS: unsupported system call personality \\(${nr}\\) \\(--strict\\)`));
    const names = parseFrames(r.stderr).map((f) => f.fn.replace(/\+0x[0-9a-f]+$/, ''));
    t.deepEqual(names.slice(-2), ['ask', 'main'], names.join(' <- '));
  });

  test(`${a}: hostile requests get Linux's errors (ENOMEM, EFAULT, ENOSYS, EINVAL) and the run goes on`, (t) => {
    const r = crashlab(['emu', elf(a, 'hostile')]);
    t.is(r.code, 0, r.stderr);
    const want = [
      'mmap 64 GiB: ENOMEM',
      'brk +1 TiB: unchanged',
      'write from unmapped buffer: EFAULT',
      'read into unmapped buffer: EFAULT',
      'openat with garbage path: EFAULT',
      'uname into garbage: EFAULT',
      'clock_gettime into garbage: EFAULT',
      'clone: ENOSYS',
      ...(a === 'x86-64' ? ['fork: ENOSYS'] : []),
      'execve: ENOSYS',
      'munmap unaligned: EINVAL',
      'mmap 1 MiB: ok',
      'munmap 1 MiB: ok',
      'still running',
    ];
    t.is(r.stdout, want.join('\n') + '\n');
  });

  test(`${a}: --mem-limit bounds guest memory: a 4 MiB allocation fails inside the guest under a 12M limit`, (t) => {
    const ok = crashlab(['emu', '--mem-limit', '64M', elf(a, 'alloc')]);
    t.is(ok.code, 0, ok.stderr);
    const tight = crashlab(['emu', '--mem-limit', '12M', elf(a, 'alloc')]);
    t.is(tight.code, 1, tight.stderr);
    t.regex(tight.stdout, /^(malloc|realloc)\(\d+\) failed$/m);
  });
}

test('--mem-limit smaller than the image and stack is refused before the guest runs', (t) => {
  const r = crashlab(['emu', '--mem-limit', '2M', elf('rv64', 'hello')]);
  t.is(r.code, 2);
  t.is(r.stdout, '');
  t.regex(r.stderr, /^crashlab: .*hello\.elf: the guest needs more than the memory limit of 2 MiB at start-up \(--mem-limit\)\n$/);
});

for (const [args, msg] of [
  [['--mem-limit', 'lots'], /--mem-limit expects a size/],
  [['--fs', '/nonexistent/crashlab-dir'], /--fs \/nonexistent\/crashlab-dir: no such directory/],
  [['--fs', 'package.json'], /--fs package\.json: not a directory/],
] as const) {
  test(`bad option: ${args.join(' ')} is one line and exit 2`, (t) => {
    const r = crashlab(['emu', ...args, elf('rv64', 'hello')]);
    t.is(r.code, 2);
    t.regex(r.stderr, msg);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
}

for (const a of ARCHES) {
  test(`${a}: a crash that depends on stdin is still exact: the replay reads the run's stdin, not the host's`, (t) => {
    const r = crashlab(['emu', '--json', elf(a, 'stdin-crash')], { input: '0x1234\n' });
    const j = JSON.parse(r.stdout) as Json & { fault: { pcExact: boolean } };
    t.is(j.outcome.signal, 'SIGSEGV');
    t.is(j.fault!.reason, 'write of 4 bytes to unmapped address 0x1234');
    t.true(j.fault.pcExact, 'the count-mode replay reproduced the fault');
    t.deepEqual(fns(j), ['poke', 'main']);
    t.is(`${j.frames[0]!.file}:${j.frames[0]!.line}`, 'src/stdin-crash.c:6');
    t.is(j.stdout, 'poking 0x1234\n');
  });

  test(`${a}: a mutex locked twice by its only thread is reported as a hang (exit 124), traced to main`, (t) => {
    const r = crashlab(['emu', '--timeout', '20', elf(a, 'deadlock')]);
    t.is(r.code, 124);
    t.is(r.stdout, 'locked once\n');
    t.regex(r.stderr, new RegExp(`crashlab: ${a} guest hung: futex wait on 0x[0-9a-f]+ with no other thread to wake it \\(deadlock\\)`));
    const j = json(['--timeout', '20', elf(a, 'deadlock')]);
    t.is(j.outcome.kind, 'timeout');
    t.true(j.outcome.hang);
    t.deepEqual(fns(j).slice(-2), ['take', 'main'], fns(j).join(' <- '));
  });
}

for (const a of ARCHES) {
  test(`${a}: a dynamically linked program is refused with one line that says to link with -static`, (t) => {
    const r = crashlab(['emu', elf(a, 'hello-dynamic')]);
    t.is(r.code, 2);
    t.is(r.stdout, '');
    t.regex(r.stderr, /^crashlab: .*hello-dynamic\.elf: dynamically linked ELF \(PT_INTERP "\/lib[^"]*ld-linux[^"]*"\): dynamic loading is not supported; link the program with -static\n$/);
  });

  test(`${a}: the guest's stdout and stderr reach one pipe in the order written, before the report`, (t) => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" bin/crashlab emu ${elf(a, 'hello')} 2>&1`], { cwd: ROOT, encoding: 'utf8' });
    t.is(r.status, 0);
    // glibc line-buffers nothing on a pipe: its stdout buffer is flushed at exit, after
    // the unbuffered stderr line; crashlab's report comes last.
    t.is(
      r.stdout,
      `to stderr\nhello, world\nargv[0] = ${elf(a, 'hello')}\nGREETING = (unset)\nback on stdout\ncrashlab: ${a} guest exited with status 0\n`,
    );
  });
}

test('explain on a self-raised signal shows where it was delivered and which rule found each libc frame', (t) => {
  const r = crashlab(['explain', elf('x86-64', 'abort')]);
  t.is(r.code, 0, r.stderr); // explain reports; it is not the guest
  const text = r.stdout + r.stderr;
  t.regex(text, /^where the signal was delivered, just after the system call that sent it \(__pthread_kill_implementation\.constprop\.0\+0x10b\)$/m);
  t.regex(text, /^=> 0x00000000004179cb /m);
  t.regex(text, /found by: the call frame information of #0 \(CFA = rsp\+\d+, \.eh_frame\): it keeps no frame record/);
  const m = crashlab(["explain", musl("abort")]);
  t.regex(m.stdout + m.stderr, /found by: the decoded prologue of #\d \(CFA = rsp\+\d+, from its prologue\): it has neither a frame record nor call frame information/);
});

for (const a of ARCHES) {
  test(`${a}: directories under --fs list in name order (getdents64), links included, nothing outside`, (t) => {
    const s = sandboxTree();
    try {
      const r = crashlab(['emu', '--fs', s.root, elf(a, 'listdir'), '--', '/']);
      t.is(r.code, 0, r.stderr);
      // abs-link and rel-link point outside the root: lstat sees the links themselves.
      // /dev and /proc are mounted on the root; /tmp is made when the tree has none.
      t.is(r.stdout, `dir  . 0\ndir  .. 0\nlink abs-link ${s.secret.length}\nfile data.txt 23\ndir  dev 0\nlink good-link 12\ndir  proc 0\nlink rel-link 13\ndir  sub 0\ndir  tmp 0\n`);
      const none = crashlab(['emu', elf(a, 'listdir'), '--', '/']);
      t.is(none.code, 0);
      t.is(none.stdout, 'dir  . 0\ndir  .. 0\ndir  dev 0\ndir  proc 0\ndir  tmp 0\n');
    } finally {
      rmSync(s.dir, { recursive: true, force: true });
    }
  });
}
