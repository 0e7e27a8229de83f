// Bad input: one clear line on stderr, exit 2, never a stack trace or a hang.

import test from 'ava';
import { crashlab, guest } from '../helpers/cli.js';

const CASES: [string, string[], RegExp][] = [
  ['missing file', ['emu', 'no/such/file.elf'], /no\/such\/file\.elf: cannot read: no such file$/],
  ['a directory', ['emu', 'guests'], /guests: cannot read: is a directory$/],
  ['not an ELF', ['emu', 'test/fixtures/bad/not-elf.bin'], /not an ELF file \(no \\x7fELF magic\)$/],
  ['empty file', ['emu', 'test/fixtures/bad/empty.bin'], /not an ELF file \(empty\)$/],
  ['truncated header', ['emu', 'test/fixtures/bad/truncated-header.elf'], /truncated ELF header \(20 of 64 bytes\)$/],
  ['segment beyond the file', ['emu', 'test/fixtures/bad/segment-beyond-file.elf'], /PT_LOAD segment #\d+ .* extends beyond the end of the file/],
  ['program headers past the end', ['emu', 'test/fixtures/bad/phdr-out-of-range.elf'], /program header table .* extends beyond the end of the file/],
  ['e_phnum 0xffff', ['emu', 'test/fixtures/bad/huge-phnum.elf'], /program header table \(offset 0x40, 65535 entries\) extends beyond the end of the file/],
  ['big-endian ELF', ['emu', 'test/fixtures/bad/big-endian.elf'], /big-endian ELF files are not supported/],
  ['32-bit x86 ELF', ['emu', 'test/fixtures/bad/i386.elf'], /unsupported architecture: ELF32 32-bit x86 \(i386\)/],
  ['dynamically linked ELF', ['emu', 'test/fixtures/bad/dynamic.elf'], /dynamically linked ELF \(PT_INTERP "[^"]+"\): dynamic loading is not supported; link the program with -static$/],
  ['entry point outside every segment', ['emu', 'test/fixtures/bad/entry-outside.elf'], /entry point 0xdead0000 is outside every executable segment$/],
  ['--arch that disagrees', ['emu', '--arch', 'rv32', guest('rv64', 'null-write')], /--arch rv32 disagrees with the ELF header, which says rv64$/],
  ['unknown --arch', ['emu', '--arch', 'mips', guest('rv64', 'null-write')], /unknown --arch 'mips' \(expected one of aarch64, x86-64, rv32, rv64\)$/],
  ['bad --timeout', ['emu', '--timeout', '-1', guest('rv64', 'null-write')], /--timeout must be a positive number/],
  ['bad --max-insns', ['emu', '--max-insns', '1.5', guest('rv64', 'null-write')], /--max-insns must be a non-negative integer/],
  ['unknown option', ['emu', guest('rv64', 'null-write'), '--frobnicate'], /Unknown argument/],
  ['no command', [], /give a command/],
  ['no ELF argument', ['emu'], /Not enough non-option arguments/],
];

for (const [title, args, message] of CASES) {
  test(title, (t) => {
    const r = crashlab(args, { timeoutMs: 20_000 });
    t.is(r.code, 2, r.stderr);
    t.is(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    t.is(lines.length, 1, `exactly one line on stderr, got:\n${r.stderr}`);
    t.true(lines[0]!.startsWith('crashlab: '));
    t.regex(lines[0]!, message);
    t.notRegex(r.stderr, /\n\s+at /);
  });
}

test('--help works for the program and for emu', (t) => {
  const top = crashlab(['--help']);
  t.is(top.code, 0);
  t.regex(top.stdout, /crashlab emu <elf>/);
  const emu = crashlab(['emu', '--help']);
  t.is(emu.code, 0);
  t.regex(emu.stdout, /--timeout/);
  t.regex(emu.stdout, /--arch/);
});

test('a missing libunicorn gives one line naming the package to install, exit 1', (t) => {
  const r = crashlab(['emu', guest('rv64', 'null-write')], { env: { CRASHLAB_LIBUNICORN: '/nonexistent/libunicorn.so.2' } });
  t.is(r.code, 1);
  const lines = r.stderr.trimEnd().split('\n');
  t.is(lines.length, 1, r.stderr);
  t.regex(lines[0]!, /^crashlab: libunicorn 2 is not installed \(run scripts\/setup\.sh, or apt-get install libunicorn2\): cannot load \/nonexistent\/libunicorn\.so\.2: /);
});
