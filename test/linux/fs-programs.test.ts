// The guest's private file system through the real CLI, with the Linux programs of
// guests/linux (static glibc on rv64, aarch64 and x86-64; musl on aarch64 and x86-64):
// - scratch files and directories, file-backed mmap, /dev and /proc print exactly what
//   qemu-user prints with a writable scratch directory (test/oracle/qemu-fs/, made by
//   test/oracle/make-qemu-fs.sh), but for two documented qemu-user differences;
// - --fs-limit runs out with ENOSPC at the documented point;
// - hostile paths stay inside; the host side is checked untouched after every run;
// - --fs-out writes exactly what the guest changed, once, from the first run, also when
//   the run ends in a fault that the exact-pc replay repeats.

import test from 'ava';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crashlab, ROOT } from '../helpers/cli.js';
import { BUILDS, type Build } from '../helpers/linux.js';
import { snapshot } from '../helpers/tree.js';

const oracle = (b: Build, prog: string) => readFileSync(path.join(ROOT, 'test/oracle/qemu-fs', b.arch, `${prog}${b.suffix}.txt`), 'utf8');

/** crashlab's stdout and exit status in the oracle's form. */
function run(args: string[]): { text: string; stderr: string; code: number | null } {
  const r = crashlab(['emu', ...args]);
  // The oracle holds stdout as the shell's $(...) keeps it (trailing newlines dropped), then "exit N".
  return { text: `${r.stdout.replace(/\n+$/, '')}\nexit ${r.code}\n`, stderr: r.stderr, code: r.code };
}

/**
 * Where qemu-user is not Linux, crashlab follows Linux: qemu-user shows its own process's
 * /proc/self/status (Name: qemu-x86_64...), and qemu-x86_64 7.2 lists the program's text
 * in /proc/self/maps without the x permission.
 */
function qemuAsLinux(b: Build, text: string): string {
  let t = text.replace('/proc/self/status: Pid 1, Name 0,', '/proc/self/status: Pid 1, Name 1,');
  if (b.arch === 'x86-64') t = t.replace('the program 1, main in an executable line of it 0', 'the program 1, main in an executable line of it 1');
  return t;
}

function scratchDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crashlab-fsprog-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

for (const b of BUILDS) {
  test(`${b.label}: scratch files and directories in /tmp: create, write, read back, rename, link, unlink, mkdir, rmdir, as qemu-user`, (t) => {
    const r = run([b.path('scratch'), '--', '/tmp']);
    t.is(r.text, oracle(b, 'scratch'), r.stderr);
    t.regex(r.text, /^rename d\/f d\/g: ok$/m);
    t.regex(r.text, /^rmdir d: ok$/m);
  });

  test(`${b.label}: a file mapped MAP_SHARED and read()/write() see each other; MAP_PRIVATE stays private; as qemu-user`, (t) => {
    const r = run([b.path('mapfile'), '--', '/tmp']);
    t.is(r.text, oracle(b, 'mapfile'), r.stderr);
    t.regex(r.text, /^read\(\) sees the store: aSHAREDa$/m);
    t.regex(r.text, /^the mapping sees write\(\): bbwrittenb$/m);
  });

  test(`${b.label}: /dev/null, /dev/zero, /proc/self/maps lists the stack and the program, readlink /proc/self/exe; as qemu-user (as Linux where qemu differs)`, (t) => {
    const r = run([b.path('devproc'), '--', 'one']);
    t.is(r.text, qemuAsLinux(b, oracle(b, 'devproc')), r.stderr);
    t.regex(r.text, /^\/dev\/null: write 4, read 0$/m);
    t.regex(r.text, /^\/dev\/zero: read 16, all zero 1$/m);
    t.regex(r.text, /^\/proc\/self\/maps: lists the stack \(holding a local\) 1, the program 1, main in an executable line of it 1$/m);
    t.regex(r.text, /^readlink \/proc\/self\/exe: absolute 1, names the program 1$/m);
  });

  test(`${b.label}: scratch work inside a directory of --fs stays in the overlay; the host tree is untouched`, (t) => {
    const dir = scratchDir(t);
    mkdirSync(path.join(dir, 'work'));
    writeFileSync(path.join(dir, 'keep.txt'), 'host bytes\n');
    const before = snapshot(dir);
    const r = run(['--fs', dir, b.path('scratch'), '--', '/work']);
    t.is(r.text, oracle(b, 'scratch'), r.stderr);
    const m = run(['--fs', dir, b.path('mapfile'), '--', '/work']);
    t.is(m.text, oracle(b, 'mapfile'), m.stderr);
    t.deepEqual(snapshot(dir), before);
  });

  test(`${b.label}: filling the file system ends in ENOSPC exactly at --fs-limit (1M: 255 pages of data, then 3 names), and the space comes back`, (t) => {
    const r = run(['--fs-limit', '1M', b.path('fillfs'), '--', '/tmp']);
    t.is(
      r.text,
      [
        'free at start: 1048576',
        // The file's name costs 1 KiB: 1048576 - 1024 leaves 255 whole pages.
        'wrote 1044480 bytes, then ENOSPC',
        'free when full: 0',
        'empty files made after that: 3, then ENOSPC',
        'mkdir when full: ENOSPC',
        'free after removing them: 1048576',
        'writing again: 65536',
        'exit 0',
        '',
      ].join('\n'),
      r.stderr,
    );
  });
}

test('hostile paths: .. at the root, guest links pointing outside, long names, deep trees: nothing of the host is read or written', (t) => {
  const dir = scratchDir(t);
  const root = path.join(dir, 'root');
  mkdirSync(root);
  const secret = path.join(dir, 'secret.txt');
  writeFileSync(secret, 'HOST SECRET\n');
  const before = snapshot(dir);
  for (const arch of ['rv64', 'aarch64', 'x86-64']) {
    const out = path.join(dir, `out-${arch}`);
    const r = crashlab(['emu', '--fs', root, '--fs-out', out, `guests/linux/build/${arch}/fsescape.elf`, '--', secret]);
    t.is(r.code, 0, r.stderr);
    t.notRegex(r.stdout, /HOST SECRET/);
    const lines = r.stdout.split('\n');
    for (const what of ['the host file by its own path', 'the host file through .. above the root', 'through /tmp/abs', 'through /tmp/up', 'through /tmp/passwd', "the host file's path now"]) {
      t.true(lines.includes(`${what}: ENOENT`), `${arch}: ${what}\n${r.stdout}`);
    }
    for (const line of [
      'getcwd after chdir /..: /',
      'rename /proc/self into /tmp: EXDEV',
      'link /proc/self/status into /tmp: EXDEV',
      'rmdir /dev: EBUSY',
      'create /proc/x: EACCES',
      'mknod a character device: EPERM',
      'chroot /tmp: EPERM',
      'open a 299-byte name: ENAMETOOLONG',
      'open a 5000-byte path: ENAMETOOLONG',
      'a link loop: ELOOP',
      'directories nested: 3000',
      'a file at the bottom: ok',
    ]) t.true(lines.includes(line), `${arch}: ${line}\n${r.stdout}`);
    // --fs-out wrote the guest's links as links (never followed), and stopped where the host's paths end.
    t.is(readlinkSync(path.join(out, 'tmp', 'abs')), secret);
    t.is(readlinkSync(path.join(out, 'tmp', 'passwd')), '/etc/passwd');
    t.regex(r.stderr, /crashlab: --fs-out: not written: tmp(\/d)+: the path is longer than the host allows \(and \d+ entries below it\)/);
    rmSync(out, { recursive: true, force: true });
  }
  t.deepEqual(snapshot(dir), before, 'the host tree (the --fs root and the secret beside it) is untouched');
  t.is(readFileSync(secret, 'utf8'), 'HOST SECRET\n');
});

/** Every entry under dir: "kind path mode size [target|content]". */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = lstatSync(p);
      const rel = path.relative(dir, p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) {
        out.push(`dir ${rel} ${mode}`);
        walk(p);
      } else if (st.isSymbolicLink()) out.push(`link ${rel} -> ${readlinkSync(p)}`);
      else out.push(`file ${rel} ${mode} ${JSON.stringify(readFileSync(p, 'utf8'))}`);
    }
  };
  walk(dir);
  return out;
}

const FSCHANGE_TREE = [
  'file .wh.old.txt 600 ""',
  'file .wh.olddir 600 ""',
  'file data.txt 600 "first line\\nsecond line\\nappended\\n"',
  'dir moved 755',
  'file moved/x.txt 644 "x\\n"',
  'dir new 755',
  'dir new/dir 700',
  'file new/dir/file 644 "file\\n"',
  'file new/hard 644 "file\\n"',
  'link new/link -> ../data.txt',
  'dir sub 755',
  'file sub/.wh..wh..opq 600 ""',
  'file sub/fresh 644 "fresh\\n"',
  'dir tmp 777',
  'file tmp/t 644 "tmp\\n"',
];

for (const arch of ['rv64', 'aarch64', 'x86-64']) {
  test(`${arch}: --fs-out writes exactly what the guest changed (OCI whiteouts for deletions), the same on every run, and the --fs tree is untouched`, (t) => {
    const dir = scratchDir(t);
    const lower = path.join(ROOT, 'guests/linux/fs-change');
    const before = snapshot(lower);
    const outs = [1, 2].map((i) => path.join(dir, `out${i}`));
    for (const out of outs) {
      const r = crashlab(['emu', '--fs', lower, '--fs-out', out, `guests/linux/build/${arch}/fschange.elf`]);
      t.is(r.code, 0, r.stderr);
      t.is(r.stdout, 'changes made, 0 failed\n');
      t.regex(r.stderr, /^crashlab: --fs-out: not written: new\/fifo: a FIFO cannot be written as a file$/m);
    }
    t.deepEqual(tree(outs[0]!), FSCHANGE_TREE);
    // The hard link is one file; times come from the virtual clock, so two runs agree to the nanosecond.
    t.is(statSync(path.join(outs[0]!, 'new/hard')).ino, statSync(path.join(outs[0]!, 'new/dir/file')).ino);
    t.deepEqual(snapshot(outs[0]!, false), snapshot(outs[1]!, false));
    t.deepEqual(snapshot(lower), before);
  });

  test(`${arch}: a run that faults after writing files still writes --fs-out once, from the first run (the exact-pc replay redoes the writes in its own overlay)`, (t) => {
    const dir = scratchDir(t);
    const out = path.join(dir, 'out');
    const r = crashlab(['emu', '--json', '--fs', path.join(ROOT, 'guests/linux/fs-change'), '--fs-out', out, `guests/linux/build/${arch}/fschange.elf`, '--', 'crash']);
    const j = JSON.parse(r.stdout) as { outcome: { signal: string }; fault: { pcExact: boolean }; frames: { function: string; line: number }[]; stdout: string };
    t.is(j.outcome.signal, 'SIGSEGV');
    t.true(j.fault.pcExact);
    t.is(j.frames[0]!.function, 'main');
    t.is(j.stdout, 'changes made, 0 failed\n');
    t.deepEqual(tree(out), FSCHANGE_TREE);
  });
}

for (const [args, msg] of [
  [['--fs-out', 'package.json'], /^crashlab: --fs-out package\.json: not a directory\n$/],
  [['--fs-out', 'src'], /^crashlab: --fs-out src: not empty \(--fs-out writes into an empty or new directory\)\n$/],
  [['--fs-out', '/nonexistent-crashlab/out'], /^crashlab: --fs-out \/nonexistent-crashlab\/out: \/nonexistent-crashlab does not exist\n$/],
  [['--fs-limit', 'lots'], /^crashlab: --fs-limit expects a size of at least 64K/],
  [['--fs-limit', '1K'], /^crashlab: --fs-limit expects a size of at least 64K/],
] as const) {
  test(`bad option: ${args.join(' ')} is one line and exit 2, before the guest runs`, (t) => {
    const r = crashlab(['emu', ...args, 'guests/linux/build/rv64/hello.elf']);
    t.is(r.code, 2);
    t.is(r.stdout, '');
    t.regex(r.stderr, msg);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
}
