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

function fakeMachine(arch: (typeof ARCHES)[number], fsRoot: string | null = null) {
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
    { fsRoot, strict: false, exePath: '/prog', inputs: Object.assign(new RunInputs(), { replaying: true }) },
  );
  /** Make one system call by name and return its result as a signed value. */
  const call = (name: string, ...args: bigint[]): bigint => {
    regs.set(arch.syscall.numberReg, BigInt(arch.syscall.numbers[name]!));
    args.forEach((v, i) => regs.set(arch.syscall.argRegs[i]!, BigInt.asUintN(arch.ptrSize * 8, v)));
    kernel.syscall();
    return BigInt.asIntN(arch.ptrSize * 8, regs.get(arch.syscall.retReg)!);
  };
  return { kernel, regs, mem, out, call };
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
