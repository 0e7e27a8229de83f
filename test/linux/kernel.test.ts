// The system-call layer in isolation, on a fake engine: every implemented call, on every
// arch, with seeded garbage arguments (null, small, huge, unaligned, pointers into and
// around the mapped memory) never throws, always sets a result or ends the run, never
// maps past the memory limit, and never reads a host file (no --fs).

import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ARCHES } from '../../src/arch/index.js';
import { RunInputs } from '../../src/linux/fs.js';
import { implementedSyscalls, LinuxKernel } from '../../src/linux/kernel.js';
import { AddressSpace, PROT_READ, PROT_WRITE, type MemoryBackend } from '../../src/linux/mm.js';
import { rng } from '../helpers/rng.js';

const LIMIT = 64n << 20n;

function fakeMachine(arch: (typeof ARCHES)[number], fsRoot: string | null = null, inputs = Object.assign(new RunInputs(), { replaying: true })) {
  const pages = new Map<bigint, Uint8Array>();
  const backend: MemoryBackend = {
    map(start, size) {
      for (let p = start; p < start + size; p += 0x1000n) pages.set(p, new Uint8Array(0x1000));
    },
    unmap(start, size) {
      for (let p = start; p < start + size; p += 0x1000n) pages.delete(p);
    },
    protect() {},
    read(addr, n) {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; ) {
        const a = addr + BigInt(i);
        const page = pages.get(a & ~0xfffn);
        if (!page) throw new Error(`host read of unmapped guest address 0x${a.toString(16)}`);
        const off = Number(a & 0xfffn);
        const k = Math.min(n - i, 0x1000 - off);
        out.set(page.subarray(off, off + k), i);
        i += k;
      }
      return out;
    },
    write(addr, bytes) {
      for (let i = 0; i < bytes.length; ) {
        const a = addr + BigInt(i);
        const page = pages.get(a & ~0xfffn);
        if (!page) throw new Error(`host write to unmapped guest address 0x${a.toString(16)}`);
        const off = Number(a & 0xfffn);
        const k = Math.min(bytes.length - i, 0x1000 - off);
        page.set(bytes.subarray(i, i + k), off);
        i += k;
      }
    },
  };
  const mem = new AddressSpace(backend, { limit: LIMIT, userTop: arch.linux.userTop, mmapTop: 0x4000_0000n, brkStart: 0x20_0000n });
  mem.addFixed(0x10_0000n, 0x10_0000n, PROT_READ | PROT_WRITE, 'image');
  mem.addFixed(0x3f00_0000n, 0x10_0000n, PROT_READ | PROT_WRITE, 'stack');
  const regs = new Map<number, bigint>();
  const out: Uint8Array[] = [];
  const kernel = new LinuxKernel(
    { arch, reg: (id) => regs.get(id) ?? 0n, setReg: (id, v) => void regs.set(id, v), mem, output: (_fd, d) => void out.push(d) },
    {
      fsRoot,
      strict: false,
      exePath: '/prog',
      // The image's first half maps the program's bytes, the rest is its bss.
      exeImage: { bytes: new Uint8Array(0x80000), segments: [{ vaddr: 0x10_0000n, offset: 0n, filesz: 0x8_0000n, memsz: 0x10_0000n }] },
      inputs,
    },
  );
  /** Make one system call by name and return its result as a signed value. */
  const call = (name: string, ...args: bigint[]): bigint => {
    regs.set(arch.syscall.numberReg, BigInt(arch.syscall.numbers[name]!));
    args.forEach((v, i) => regs.set(arch.syscall.argRegs[i]!, BigInt.asUintN(arch.ptrSize * 8, v)));
    kernel.syscall();
    return BigInt.asIntN(arch.ptrSize * 8, regs.get(arch.syscall.retReg)!);
  };
  /** Put a NUL-terminated string at addr (in the fake image). */
  const str = (addr: bigint, s: string) => mem.writeUser(addr, new TextEncoder().encode(s + '\0'));
  /** The bytes a read of fd gives into the image at 0x18_0000. */
  const readAll = (fd: bigint, n = 4096): string => {
    const got = call('read', fd, 0x18_0000n, BigInt(n));
    return got < 0n ? `errno ${-got}` : new TextDecoder().decode(mem.readUser(0x18_0000n, Number(got))!);
  };
  return { kernel, regs, mem, out, call, str, readAll };
}

for (const arch of ARCHES) {
  test(`${arch.name}: every implemented system call survives seeded garbage arguments`, (t) => {
    const next = rng(0xc0ffee ^ arch.elf.machine);
    const m = fakeMachine(arch);
    const table = arch.syscall.numbers;
    const names = implementedSyscalls().filter((n) => table[n] !== undefined);
    t.true(names.length >= 40, `${names.length} implemented calls on ${arch.name}`);
    const interesting = [0n, 1n, 16n, 0xfffn, 0x10_0000n, 0x10_0ff8n, 0x1f_fff0n, 0x3f0f_fff0n, 0x4000_0000n, -1n, -100n, 1n << 40n, (1n << 63n) + 5n];
    const pick = (): bigint => {
      const r = next() % 4;
      if (r === 0) return interesting[next() % interesting.length]!;
      if (r === 1) return 0x10_0000n + BigInt(next() % 0x10_0000);
      if (r === 2) return BigInt(next() % 64);
      return (BigInt(next()) << 32n) | BigInt(next());
    };
    let calls = 0;
    for (const name of names) {
      // exit/exit_group end the run; tgkill and friends may; both are outcomes, not errors.
      for (let i = 0; i < 150; i++) {
        m.regs.clear();
        m.regs.set(arch.syscall.numberReg, BigInt(table[name]!));
        arch.syscall.argRegs.forEach((r) => m.regs.set(r, BigInt.asUintN(arch.ptrSize * 8, pick())));
        let outcome;
        try {
          outcome = m.kernel.syscall();
        } catch (e) {
          t.fail(`${name}(${arch.syscall.argRegs.map((r) => '0x' + m.regs.get(r)!.toString(16)).join(', ')}) threw: ${(e as Error).message}`);
          return;
        }
        calls++;
        if (outcome.kind === 'continue') {
          // A negative result is always an errno (-1..-4095), as the syscall ABI requires.
          const v = BigInt.asIntN(arch.ptrSize * 8, m.regs.get(arch.syscall.retReg)!);
          if (v < 0n && v < -4095n) t.fail(`${name} returned ${v}, not an errno`);
        }
        t.true(m.mem.mapped <= LIMIT, `${name}: mapped ${m.mem.mapped} > limit`);
      }
    }
    t.log(`${calls} calls over ${names.length} system calls`);
  });

  test(`${arch.name}: write from an unmapped buffer is EFAULT and nothing is written`, (t) => {
    const m = fakeMachine(arch);
    m.regs.set(arch.syscall.numberReg, BigInt(arch.syscall.numbers.write!));
    m.regs.set(arch.syscall.argRegs[0]!, 1n);
    m.regs.set(arch.syscall.argRegs[1]!, 0x5000_0000n);
    m.regs.set(arch.syscall.argRegs[2]!, 16n);
    t.deepEqual(m.kernel.syscall(), { kind: 'continue' });
    t.is(BigInt.asIntN(arch.ptrSize * 8, m.regs.get(arch.syscall.retReg)!), -14n);
    t.is(m.out.length, 0);
  });

  test(`${arch.name}: mmap past --mem-limit is ENOMEM; brk far beyond reason leaves the break`, (t) => {
    const { call } = fakeMachine(arch);
    const mmap = arch.syscall.numbers.mmap !== undefined ? 'mmap' : 'mmap2';
    t.is(call(mmap, 0n, LIMIT, 3n, 0x22n, -1n, 0n), -12n);
    const ok = call(mmap, 0n, 1n << 20n, 3n, 0x22n, -1n, 0n);
    t.true(ok > 0n);
    t.is(call('munmap', ok, 1n << 20n), 0n);
    const brk0 = call('brk', 0n);
    t.is(call('brk', brk0 + (1n << 40n)), brk0);
    t.is(call('brk', brk0 + 0x3000n), brk0 + 0x3000n);
  });
}

test('dup shares the file offset (one open file description); close-on-exec is per descriptor', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crashlab-dup-'));
  try {
    writeFileSync(path.join(dir, 'f'), 'abcdef');
    const arch = ARCHES.find((a) => a.name === 'rv64')!;
    const m = fakeMachine(arch, dir);
    const { call } = m;
    m.mem.writeUser(0x10_0000n, new TextEncoder().encode('/f\0'));
    const fd = call('openat', -100n, 0x10_0000n, 0o2000000n); // O_CLOEXEC
    t.is(fd, 3n);
    const fd2 = call('dup', fd);
    t.is(fd2, 4n);
    t.is(call('read', fd, 0x10_0100n, 2n), 2n);
    t.is(call('read', fd2, 0x10_0200n, 2n), 2n);
    t.is(new TextDecoder().decode(m.mem.readUser(0x10_0200n, 2)!), 'cd', 'the dup continues where the original stopped');
    t.is(call('fcntl', fd, 1n), 1n, 'the original has FD_CLOEXEC');
    t.is(call('fcntl', fd2, 1n), 0n, 'the dup does not');
    t.is(call('fcntl', fd, 0n, -1n), -22n, 'F_DUPFD below 0 is EINVAL');
    t.is(call('close', fd), 0n);
    t.is(call('read', fd2, 0x10_0300n, 8n), 2n, 'closing one descriptor leaves the other open');
    t.is(call('close', fd), -9n);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const O_RDWR = 2n;
const O_CREAT = 0o100n;
const AT_FDCWD = -100n;

test('/proc/self/maps is printed as Linux prints it: columns, the program, the bss in [heap], the stack, a shared file view', (t) => {
  const arch = ARCHES.find((a) => a.name === 'x86-64')!;
  const m = fakeMachine(arch);
  const { call, str, readAll } = m;
  str(0x10_0000n, '/tmp/f');
  const fd = call('openat', AT_FDCWD, 0x10_0000n, O_RDWR | O_CREAT, 0o600n);
  t.is(fd, 3n);
  t.is(call('ftruncate', fd, 0x2000n), 0n);
  const at = call('mmap', 0n, 0x1000n, 3n, 1n, fd, 0x1000n);
  t.true(at > 0n);
  str(0x10_0100n, '/proc/self/maps');
  const maps = readAll(call('openat', AT_FDCWD, 0x10_0100n, 0n));
  const ino = (path: string) => {
    let h = 0xcbf29ce484222325n;
    for (const c of new TextEncoder().encode(path)) h = BigInt.asUintN(64, (h ^ BigInt(c)) * 0x100000001b3n);
    return (h & 0xffffffn) + 2n;
  };
  // Names start in column 74 (after 25 + 6 x 8 - 1 columns and a space), as seq_pad leaves them.
  const line = (head: string, name: string) => head.padEnd(72, ' ') + ' ' + name;
  const fileIno = (m.kernel.vfs.resolve({ ctx: m.kernel.fsctx, base: m.kernel.vfs.root }, '/tmp/f', true) as { ino: bigint }).ino;
  t.is(
    maps,
    [
      line(`00100000-00180000 rw-p 00000000 08:03 ${ino('/prog')} `, '/prog'),
      line('00180000-00200000 rw-p 00000000 00:00 0 ', '[heap]'),
      line('3f000000-3f100000 rw-p 00000000 00:00 0 ', '[stack]'),
      // The fake machine's mmap area is above its stack.
      line(`${at.toString(16).padStart(8, '0')}-${(at + 0x1000n).toString(16).padStart(8, '0')} rw-s 00001000 08:03 ${fileIno} `, '/tmp/f'),
      '',
    ].join('\n'),
  );
});

test('/dev/tty is the terminal when stdin is one: it reads stdin and writes where stderr goes; without one it is ENXIO', (t) => {
  const arch = ARCHES.find((a) => a.name === 'rv64')!;
  const inputs = Object.assign(new RunInputs(), { replaying: true, tty: { 0: true, 1: false, 2: true } });
  inputs.stdin.push(new TextEncoder().encode('typed\n'));
  const m = fakeMachine(arch, null, inputs);
  m.str(0x10_0000n, '/dev/tty');
  const fd = m.call('openat', AT_FDCWD, 0x10_0000n, O_RDWR);
  t.is(fd, 3n);
  t.is(m.readAll(fd), 'typed\n');
  m.str(0x10_0200n, 'hello');
  t.is(m.call('write', fd, 0x10_0200n, 5n), 5n);
  t.is(new TextDecoder().decode(Buffer.concat(m.out)), 'hello');
  const none = fakeMachine(arch);
  none.str(0x10_0000n, '/dev/tty');
  t.is(none.call('openat', AT_FDCWD, 0x10_0000n, O_RDWR), -6n);
});

test('an O_TMPFILE file gets a name through its /proc/self/fd link (linkat AT_SYMLINK_FOLLOW, as glibc does); getcwd, chdir and umask belong to the process', (t) => {
  const arch = ARCHES.find((a) => a.name === 'aarch64')!;
  const m = fakeMachine(arch);
  const O_TMPFILE = 0o20000000n | BigInt(arch.linux.openFlags.directory);
  m.str(0x10_0000n, '/tmp');
  const fd = m.call('openat', AT_FDCWD, 0x10_0000n, O_TMPFILE | O_RDWR, 0o644n);
  t.is(fd, 3n);
  m.str(0x10_0200n, 'kept');
  t.is(m.call('write', fd, 0x10_0200n, 4n), 4n);
  m.str(0x10_0300n, '/proc/self/fd/3');
  m.str(0x10_0400n, '/tmp/named');
  t.is(m.call('linkat', AT_FDCWD, 0x10_0300n, AT_FDCWD, 0x10_0400n, 0x400n), 0n);
  t.is(m.readAll(m.call('openat', AT_FDCWD, 0x10_0400n, 0n)), 'kept');
  t.is(m.call('umask', 0o077n), 0o022n);
  t.is(m.call('umask', 0o022n), 0o077n);
  t.is(m.call('chdir', 0x10_0000n), 0n);
  t.is(m.call('getcwd', 0x10_0500n, 100n), 5n);
  t.is(new TextDecoder().decode(m.mem.readUser(0x10_0500n, 5)!), '/tmp\0');
  t.is(m.call('getcwd', 0x10_0500n, 4n), -34n, 'ERANGE');
});

test('sysinfo, statfs and /proc/meminfo agree with --mem-limit and --fs-limit', (t) => {
  const arch = ARCHES.find((a) => a.name === 'rv64')!;
  const m = fakeMachine(arch);
  t.is(m.call('sysinfo', 0x10_0000n), 0n);
  const info = new DataView(m.mem.readUser(0x10_0000n, 112)!.buffer);
  t.is(info.getBigUint64(32, true), LIMIT, 'totalram');
  t.is(info.getBigUint64(40, true), LIMIT - m.mem.mapped, 'freeram');
  t.is(info.getUint16(80, true), 1, 'procs');
  t.is(info.getUint32(104, true), 1, 'mem_unit');
  m.str(0x10_0200n, '/proc/meminfo');
  t.regex(m.readAll(m.call('openat', AT_FDCWD, 0x10_0200n, 0n)), new RegExp(`^MemTotal: +${LIMIT >> 10n} kB\nMemFree: +${(LIMIT - m.mem.mapped) >> 10n} kB\n`));
  m.str(0x10_0300n, '/tmp');
  t.is(m.call('statfs', 0x10_0300n, 0x10_0400n), 0n);
  const sf = new DataView(m.mem.readUser(0x10_0400n, 120)!.buffer);
  t.is(sf.getBigUint64(0, true), 0x794c7630n, 'f_type: overlayfs');
  t.is(sf.getBigUint64(8, true), 4096n);
  t.is(sf.getBigUint64(16, true), BigInt(256 << 20) / 4096n, 'f_blocks: --fs-limit');
  t.is(sf.getBigUint64(80, true) & 0x20n, 0x20n, 'ST_VALID, so glibc does not read /proc/mounts');
});

test('getdents64 with a small buffer while the entries read so far are unlinked (rm -r) returns every name once', (t) => {
  const arch = ARCHES.find((a) => a.name === 'x86-64')!;
  const m = fakeMachine(arch);
  m.str(0x10_0000n, '/tmp/many');
  t.is(m.call('mkdir', 0x10_0000n, 0o755n), 0n);
  const names = Array.from({ length: 300 }, (_, i) => `f${String(i).padStart(3, '0')}`);
  for (const n of names) {
    m.str(0x10_0100n, `/tmp/many/${n}`);
    t.is(m.call('close', m.call('openat', AT_FDCWD, 0x10_0100n, O_CREAT | 1n, 0o600n)), 0n);
  }
  const dir = m.call('openat', AT_FDCWD, 0x10_0000n, BigInt(arch.linux.openFlags.directory));
  const seen: string[] = [];
  for (;;) {
    const n = m.call('getdents64', dir, 0x10_1000n, 256n);
    t.true(n >= 0n);
    if (n === 0n) break;
    const buf = m.mem.readUser(0x10_1000n, Number(n))!;
    for (let at = 0; at < buf.length; ) {
      const reclen = buf[at + 16]! | (buf[at + 17]! << 8);
      const name = new TextDecoder().decode(buf.subarray(at + 19, buf.indexOf(0, at + 19)));
      at += reclen;
      if (name === '.' || name === '..') continue;
      seen.push(name);
      m.str(0x10_0100n, `/tmp/many/${name}`);
      t.is(m.call('unlink', 0x10_0100n), 0n);
    }
  }
  t.deepEqual(seen, names);
  t.is(m.call('rmdir', 0x10_0000n), 0n);
});
