// The walker's guards on synthetic memory: no emulator, just a map of words.

import test from 'ava';
import { aarch64 } from '../../src/arch/aarch64.js';
import { rv32 } from '../../src/arch/rv32.js';
import { rv64 } from '../../src/arch/rv64.js';
import { x86_64 } from '../../src/arch/x86_64.js';
import type { Arch } from '../../src/arch/types.js';
import { walk, MAX_FRAMES, type WalkInput } from '../../src/unwind/walker.js';

const CODE = { start: 0x1000n, end: 0x2000n };
const STACK = { start: 0x8000n, end: 0x10000n };

/** A fake guest: word-addressed stack memory, a code range, functions of 0x40 bytes. */
function fakeGuest(arch: Arch, words: Map<bigint, bigint>, code = new Map<bigint, Uint8Array>()) {
  const ptr = arch.ptrSize;
  return {
    read(addr: bigint, n: number): Uint8Array | null {
      if (addr >= STACK.start && addr + BigInt(n) <= STACK.end) {
        const out = new Uint8Array(n);
        for (let i = 0; i < n; i += ptr) {
          const w = words.get(addr + BigInt(i)) ?? 0n;
          for (let b = 0; b < ptr && i + b < n; b++) out[i + b] = Number((w >> BigInt(8 * b)) & 0xffn);
        }
        return out;
      }
      if (addr >= CODE.start && addr < CODE.end) {
        const fnStart = addr & ~0x3fn;
        const bytes = code.get(fnStart);
        const out = new Uint8Array(n);
        if (bytes) out.set(bytes.subarray(Number(addr - fnStart), Number(addr - fnStart) + n));
        return out;
      }
      return null;
    },
    isCode: (a: bigint) => a >= CODE.start && a < CODE.end,
    functionAt: (a: bigint) => (a >= CODE.start && a < CODE.end ? { start: a & ~0x3fn, end: (a & ~0x3fn) + 0x40n } : null),
  };
}

/** Lay out a chain of records for `arch`: returns the memory and the innermost fp. */
function chain(arch: Arch, returnAddresses: bigint[], opts: { fps?: bigint[] } = {}) {
  const words = new Map<bigint, bigint>();
  const fps = opts.fps ?? returnAddresses.map((_, i) => 0xf000n - BigInt(i) * 0x100n).reverse();
  // fps[0] is innermost (lowest); each record points to the next one up.
  const sorted = [...fps].sort((a, b) => (a < b ? -1 : 1));
  const use = opts.fps ?? sorted;
  use.forEach((fp, i) => {
    words.set(fp + BigInt(arch.record.callerFp), use[i + 1] ?? 0n);
    words.set(fp + BigInt(arch.record.returnAddress), returnAddresses[i]!);
  });
  return { words, fp: use[0]! };
}

// A prologue whose frame setup has run: the function has one and pc is past it.
// For the test we mark every function as "has a record" by giving it a setup instruction.
const SETUP: Record<string, Uint8Array> = {
  aarch64: new Uint8Array([0xfd, 0x03, 0x00, 0x91]), // mov x29, sp
  'x86-64': new Uint8Array([0x55, 0x48, 0x89, 0xe5]), // push rbp; mov rbp, rsp
  rv32: new Uint8Array([0x13, 0x04, 0x01, 0x01]), // addi s0, sp, 16
  rv64: new Uint8Array([0x13, 0x04, 0x01, 0x01]),
};

function codeWithRecords(arch: Arch): Map<bigint, Uint8Array> {
  const m = new Map<bigint, Uint8Array>();
  for (let f = CODE.start; f < CODE.end; f += 0x40n) m.set(f, SETUP[arch.name]!);
  return m;
}

function run(arch: Arch, input: Partial<WalkInput> & { words: Map<bigint, bigint>; fp: bigint; pc?: bigint }) {
  const g = fakeGuest(arch, input.words, codeWithRecords(arch));
  return walk({ arch, pc: input.pc ?? 0x1010n, sp: 0x8800n, fp: input.fp, link: input.link ?? 0x1c10n, ...g, isOutermost: input.isOutermost });
}

for (const arch of [aarch64, x86_64, rv32, rv64]) {
  test(`${arch.name}: follows a record chain to main`, (t) => {
    const { words, fp } = chain(arch, [0x1110n, 0x1210n, 0x1310n]);
    const r = run(arch, { words, fp, isOutermost: (pc) => pc >= 0x1300n && pc < 0x1340n });
    t.deepEqual(r.frames.map((f) => f.pc), [0x1010n, 0x1110n, 0x1210n, 0x1310n]);
    t.is(r.stop.reason, 'reached-main');
    t.deepEqual(r.frames.map((f) => f.rule), ['fault', 'frame-record', 'frame-record', 'frame-record']);
  });

  test(`${arch.name}: a cycle in the fp chain stops as non-increasing`, (t) => {
    const words = new Map<bigint, bigint>();
    const a = 0xe000n;
    const b = 0xe100n;
    words.set(a + BigInt(arch.record.callerFp), b);
    words.set(a + BigInt(arch.record.returnAddress), 0x1110n);
    words.set(b + BigInt(arch.record.callerFp), a); // points back down: a cycle
    words.set(b + BigInt(arch.record.returnAddress), 0x1210n);
    const r = run(arch, { words, fp: a });
    t.is(r.stop.reason, 'fp-not-increasing');
    t.is(r.frames.length, 3);
  });

  test(`${arch.name}: a misaligned fp stops the walk`, (t) => {
    const { words } = chain(arch, [0x1110n]);
    const r = run(arch, { words, fp: 0xe001n });
    t.is(r.stop.reason, 'misaligned-fp');
    t.regex(r.stop.detail, /0xe001/);
    t.is(r.frames.length, 1);
  });

  test(`${arch.name}: a zero return address ends the chain`, (t) => {
    const { words, fp } = chain(arch, [0x1110n, 0n]);
    const r = run(arch, { words, fp });
    t.is(r.stop.reason, 'end-of-chain');
    t.deepEqual(r.frames.map((f) => f.pc), [0x1010n, 0x1110n]);
  });

  test(`${arch.name}: a record in unmapped memory stops the walk`, (t) => {
    const r = run(arch, { words: new Map(), fp: 0x40000n });
    t.is(r.stop.reason, 'unreadable-record');
    t.regex(r.stop.detail, /0x40000/);
    t.is(r.frames.length, 1);
  });

  test(`${arch.name}: a return address outside code stops the walk`, (t) => {
    const { words, fp } = chain(arch, [0x1110n, 0x9999n]);
    const r = run(arch, { words, fp });
    t.is(r.stop.reason, 'return-address-outside-code');
    t.regex(r.stop.detail, /0x9999/);
    t.is(r.frames.length, 2);
  });

  test(`${arch.name}: a null fp stops the walk`, (t) => {
    const r = run(arch, { words: new Map(), fp: 0n });
    t.is(r.stop.reason, 'null-fp');
  });

  test(`${arch.name}: an endless valid chain is truncated at ${MAX_FRAMES} frames`, (t) => {
    const n = MAX_FRAMES + 50;
    const fps = Array.from({ length: n }, (_, i) => 0x8900n + BigInt(i) * 0x20n); // above sp (0x8800): a record below sp is no record of the walk
    const { words, fp } = chain(arch, fps.map(() => 0x1110n), { fps });
    const r = run(arch, { words, fp });
    t.is(r.frames.length, MAX_FRAMES);
    t.is(r.stop.reason, 'truncated');
  });

  test(`${arch.name}: pc 0 takes frame #1 from the frame-0 rule, then follows the chain`, (t) => {
    const { words, fp } = chain(arch, [0x1210n]);
    const sp = 0x8800n;
    if (arch.name === 'x86-64') words.set(sp, 0x1110n); // call pushed the return address
    const g = fakeGuest(arch, words, codeWithRecords(arch));
    const r = walk({ arch, pc: 0n, sp, fp, link: 0x1110n, ...g });
    t.deepEqual(r.frames.map((f) => f.pc), [0n, 0x1110n, 0x1210n]);
    t.is(r.frames[1]!.rule, arch.name === 'x86-64' ? 'stack-slot' : 'link-register');
  });

  test(`${arch.name}: a fault at a function's first instruction names the caller via the frame-0 rule`, (t) => {
    const { words, fp } = chain(arch, [0x1210n]);
    const sp = 0x8800n;
    if (arch.name === 'x86-64') words.set(sp, 0x1110n);
    const g = fakeGuest(arch, words, codeWithRecords(arch));
    const r = walk({ arch, pc: 0x1000n, sp, fp, link: 0x1110n, ...g });
    t.deepEqual(r.frames.map((f) => f.pc), [0x1000n, 0x1110n, 0x1210n]);
  });
}
