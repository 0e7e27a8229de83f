// The guest address space on a byte-accurate fake engine: mappings split and merge as
// Linux's do, permissions are the authority for user copies, contents move with mremap,
// and the memory limit holds.

import test from 'ava';
import { AddressSpace, parseSize, PROT_EXEC, PROT_READ, PROT_WRITE, type MappedFile, type MemoryBackend } from '../../src/linux/mm.js';

const RW = PROT_READ | PROT_WRITE;

function space(limit = 16n << 20n) {
  const pages = new Map<bigint, { bytes: Uint8Array; prot: number }>();
  const calls: string[] = [];
  const backend: MemoryBackend = {
    map(start, size, prot) {
      calls.push(`map ${start.toString(16)}+${size.toString(16)}`);
      for (let p = start; p < start + size; p += 0x1000n) {
        if (pages.has(p)) throw new Error(`page ${p.toString(16)} mapped twice`);
        pages.set(p, { bytes: new Uint8Array(0x1000), prot });
      }
    },
    unmap(start, size) {
      calls.push(`unmap ${start.toString(16)}+${size.toString(16)}`);
      for (let p = start; p < start + size; p += 0x1000n) if (!pages.delete(p)) throw new Error(`page ${p.toString(16)} not mapped`);
    },
    protect(start, size, prot) {
      for (let p = start; p < start + size; p += 0x1000n) pages.get(p)!.prot = prot;
    },
    read(addr, n) {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = pages.get((addr + BigInt(i)) & ~0xfffn)!.bytes[Number((addr + BigInt(i)) & 0xfffn)]!;
      return out;
    },
    write(addr, bytes) {
      bytes.forEach((b, i) => (pages.get((addr + BigInt(i)) & ~0xfffn)!.bytes[Number((addr + BigInt(i)) & 0xfffn)] = b));
    },
  };
  const mem = new AddressSpace(backend, { limit, userTop: 1n << 47n, mmapTop: 0x4000_0000n, brkStart: 0x10_0800n });
  mem.addFixed(0x10_0000n, 0x1000n, PROT_READ | PROT_EXEC, 'image');
  return { mem, pages, calls };
}

const shape = (mem: AddressSpace) => mem.mappings.map((m) => `${m.start.toString(16)}-${m.end.toString(16)}:${m.prot}:${m.kind}`);

test('mmap places mappings top-down below the mmap base; munmap of a middle page splits one in two', (t) => {
  const { mem, pages } = space();
  const a = mem.mmap(0n, 0x3000n, RW, 'no');
  t.is(a, 0x4000_0000n - 0x3000n);
  t.is(mem.munmap(0x4000_0000n - 0x2000n, 0x1000n), 0);
  t.deepEqual(shape(mem), ['100000-101000:5:image', '3fffd000-3fffe000:3:mmap', '3ffff000-40000000:3:mmap']);
  t.false(pages.has(0x3fffe000n));
  // The hole is reused by the next mapping that fits.
  t.is(mem.mmap(0n, 0x1000n, RW, 'no'), 0x3fffe000n);
});

test('mprotect splits a mapping into three and the user copies obey the new permissions', (t) => {
  const { mem } = space();
  const a = mem.mmap(0n, 0x3000n, RW, 'no') as bigint;
  t.is(mem.mprotect(a + 0x1000n, 0x1000n, PROT_READ), 0);
  t.deepEqual(shape(mem).slice(1), [`${a.toString(16)}-${(a + 0x1000n).toString(16)}:3:mmap`, `${(a + 0x1000n).toString(16)}-${(a + 0x2000n).toString(16)}:1:mmap`, `${(a + 0x2000n).toString(16)}-${(a + 0x3000n).toString(16)}:3:mmap`]);
  t.true(mem.writeUser(a + 0xff8n, new Uint8Array(8)));
  t.false(mem.writeUser(a + 0xffcn, new Uint8Array(8)), 'a write running into the read-only page is EFAULT');
  t.not(mem.readUser(a + 0x1ff0n, 0x20), null);
  // Back to read-write: the three pieces merge again.
  t.is(mem.mprotect(a + 0x1000n, 0x1000n, RW), 0);
  t.is(shape(mem).length, 2);
  t.is(mem.mprotect(a + 1n, 0x1000n, RW), 'EINVAL');
  t.is(mem.mprotect(0x5000_0000n, 0x1000n, RW), 'ENOMEM');
});

test('mremap grows in place when the next pages are free, moves (with the contents) when not', (t) => {
  const { mem } = space();
  const a = mem.mmap(0x2000_0000n, 0x1000n, RW, 'no') as bigint;
  t.is(a, 0x2000_0000n, 'a free hint is honoured');
  t.true(mem.writeUser(a, new TextEncoder().encode('kept')));
  t.is(mem.mremap(a, 0x1000n, 0x2000n, false), a);
  mem.mmap(a + 0x2000n, 0x1000n, RW, 'noreplace');
  t.is(mem.mremap(a, 0x2000n, 0x4000n, false), 'ENOMEM', 'no room and MREMAP_MAYMOVE not given');
  const b = mem.mremap(a, 0x2000n, 0x4000n, true) as bigint;
  t.not(b, a);
  t.is(new TextDecoder().decode(mem.readUser(b, 4)!), 'kept');
  t.is(mem.readUser(a, 1), null, 'the old range is gone');
});

test('brk grows and shrinks page by page from the end of the image, and never over a mapping', (t) => {
  const { mem, pages } = space();
  const base = mem.brk(0n);
  t.is(base, 0x10_1000n);
  t.is(mem.brk(base + 0x1800n), base + 0x1800n);
  t.true(pages.has(base + 0x1000n));
  t.is(mem.brk(base + 0x800n), base + 0x800n);
  t.false(pages.has(base + 0x1000n));
  mem.mmap(base + 0x4000n, 0x1000n, RW, 'replace');
  t.is(mem.brk(base + 0x8000n), base + 0x800n, 'a break that would cover a mapping stays put');
});

test('the memory limit counts every mapping: mmap, MAP_FIXED replacement and brk', (t) => {
  const { mem } = space(0x10_0000n + 0x1000n);
  t.is(mem.mmap(0n, 0x10_0000n + 0x1000n, RW, 'no'), 'ENOMEM');
  const a = mem.mmap(0n, 0x10_0000n, RW, 'no') as bigint;
  t.true(a > 0n);
  t.is(mem.mapped, 0x10_1000n);
  t.is(mem.brk(mem.brk(0n) + 0x1000n), mem.brk(0n), 'brk cannot pass the limit');
  // Replacing a mapping in place frees what it replaces first.
  t.is(mem.mmap(a, 0x10_0000n, PROT_READ, 'replace'), a);
  t.is(mem.mmap(a, 0x1000n, PROT_READ, 'noreplace'), 'EEXIST');
});

test('readCString stops at NUL, at the length limit, or at an unreadable page', (t) => {
  const { mem } = space();
  const a = mem.mmap(0x3000_0000n, 0x1000n, RW, 'no') as bigint;
  mem.writeUser(a + 0xffcn, new TextEncoder().encode('abc\0'));
  t.is(mem.readCString(a + 0xffcn, 4096), 'abc');
  mem.writeUser(a + 0xffcn, new TextEncoder().encode('abcd'));
  t.is(mem.readCString(a + 0xffcn, 4096), 'fault', 'runs off the mapping');
  t.is(mem.readCString(a + 0xffcn, 2), 'too-long');
});

test('--mem-limit sizes: bytes, K, M, G (binary)', (t) => {
  t.is(parseSize('1G'), 1n << 30n);
  t.is(parseSize('512M'), 512n << 20n);
  t.is(parseSize('64k'), 64n << 10n);
  t.is(parseSize('2GiB'), 2n << 30n);
  t.is(parseSize('4096'), 4096n);
  t.is(parseSize('lots'), null);
  t.is(parseSize('-1M'), null);
});

/** A file of n bytes for mappings, recording what is written back. */
function fakeFile(n: number): MappedFile & { bytes: Uint8Array; spaces: Set<AddressSpace> } {
  const bytes = Uint8Array.from({ length: n }, (_, i) => 65 + ((i >> 12) % 26)); // page k holds letter k
  const spaces = new Set<AddressSpace>();
  return {
    bytes,
    spaces,
    dev: 0x803n,
    ino: 42n,
    mapsPath: () => '/f',
    get size() {
      return bytes.length;
    },
    pageIn: (off, len) => {
      const out = new Uint8Array(len);
      if (off < bytes.length) out.set(bytes.subarray(off, Math.min(bytes.length, off + len)));
      return out;
    },
    writeBack: (off, b) => bytes.set(b.subarray(0, Math.max(0, Math.min(b.length, bytes.length - off))), off),
    attach: (s) => void spaces.add(s),
    detach: (s) => void spaces.delete(s),
  };
}

test('file mappings: split pieces keep their file offsets, shared pages are written back on munmap and msync, the file is detached with the last piece', (t) => {
  const { mem } = space();
  const f = fakeFile(0x5000);
  const a = mem.mmap(0n, 0x4000n, RW, 'no', undefined, { file: f, offset: 0x1000n, shared: true, mayWrite: true }) as bigint;
  t.deepEqual([...mem.readUser(a, 1)!, ...mem.readUser(a + 0x3000n, 1)!], [66, 69], 'pages 1..4 of the file');
  t.true(f.spaces.has(mem));
  mem.writeUser(a + 0x1000n, new TextEncoder().encode('xyz'));
  t.is(mem.munmap(a + 0x1000n, 0x1000n), 0);
  t.is(new TextDecoder().decode(f.bytes.subarray(0x2000, 0x2003)), 'xyz', 'written back as the page went');
  t.deepEqual(mem.mappings.filter((m) => m.file).map((m) => `${(m.start - a).toString(16)}:${m.file!.offset.toString(16)}`), ['0:1000', '2000:3000']);
  mem.writeUser(a + 0x2000n, new TextEncoder().encode('msync'));
  t.is(mem.msync(a, 0x4000n), 'ENOMEM', 'the hole in the middle is not mapped');
  t.is(mem.msync(a + 0x2000n, 0x2000n), 0);
  t.is(new TextDecoder().decode(f.bytes.subarray(0x3000, 0x3005)), 'msync');
  t.is(mem.munmap(a, 0x4000n), 0);
  t.false(f.spaces.has(mem), 'detached with its last mapping');
});

test('file mappings: a write to the file shows in shared views and in private pages the process never wrote', (t) => {
  const { mem } = space();
  const f = fakeFile(0x2000);
  const shared = mem.mmap(0n, 0x2000n, RW, 'no', undefined, { file: f, offset: 0n, shared: true, mayWrite: true }) as bigint;
  const priv = mem.mmap(0n, 0x2000n, RW, 'no', undefined, { file: f, offset: 0n, shared: false, mayWrite: false }) as bigint;
  mem.writeUser(priv, new TextEncoder().encode('mine'));
  const before = f.bytes.slice(0x10, 0x12);
  const after = new TextEncoder().encode('!!');
  f.bytes.set(after, 0x10);
  mem.fileChanged(f, 0x10, before, after);
  f.bytes.set(after, 0x1010);
  mem.fileChanged(f, 0x1010, before.map(() => 66), after);
  t.is(new TextDecoder().decode(mem.readUser(shared + 0x10n, 2)!), '!!');
  t.is(new TextDecoder().decode(mem.readUser(priv + 0x10n, 2)!), 'AA', 'the private page the process wrote keeps its copy');
  t.is(new TextDecoder().decode(mem.readUser(priv + 0x1010n, 2)!), '!!', 'an untouched private page shows the file');
  t.is(mem.mprotect(shared, 0x1000n, PROT_READ), 0);
  const ro = mem.mmap(0n, 0x1000n, PROT_READ, 'no', undefined, { file: f, offset: 0n, shared: true, mayWrite: false }) as bigint;
  t.is(mem.mprotect(ro, 0x1000n, RW), 'EACCES', 'a shared view of a read-only descriptor never becomes writable');
});
