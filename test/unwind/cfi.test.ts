// The CFI reader (src/unwind/cfi.ts): against readelf on real guests, on hand-built
// .eh_frame / .debug_frame bytes (every instruction, every corrupt entry kind), and
// unwindStep on synthetic registers and memory.
//
// cfi-expected.json is made by make-cfi-expected.mjs from `readelf --debug-dump=frames-interp`
// (binutils is not on CI); see that script for the sample and the cell notation.

import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readElf, type ElfFile } from '../../src/loader/elf.js';
import { CallFrameInfo, unwindStep, type CfiRow, type RegRule, type UnwindRegs } from '../../src/unwind/cfi.js';
import { ROOT } from '../helpers/cli.js';
import { rng } from '../helpers/rng.js';

// DWARF register numbers used below (the arch tables own the real ones).
const X86 = { rbx: 3, rbp: 6, rsp: 7, r12: 12, r13: 13, r14: 14, rip: 16 };

// ---------------------------------------------------------------------------------------
// Against readelf.

interface Sample {
  pc: string;
  row: string | null;
  sec?: string;
  fde?: [string, string];
  ra?: number;
  cfa?: [number, number] | 'exp';
  regs?: Record<string, string>;
}
interface Expected {
  elfs: { path: string; arch: string; fdeCount: number; samples: Sample[] }[];
}

const expected = JSON.parse(readFileSync(path.join(ROOT, 'test/unwind/cfi-expected.json'), 'utf8')) as Expected;

/** Our rule in readelf's notation. */
function cell(rule: RegRule | undefined): string {
  if (!rule) return 'u';
  switch (rule.kind) {
    case 'undefined': return 'u';
    case 'same': return 's';
    case 'offset': return `c${rule.offset >= 0n ? '+' : ''}${rule.offset}`;
    case 'val-offset': return `v${rule.offset >= 0n ? '+' : ''}${rule.offset}`;
    case 'register': return `r${rule.reg}`;
    case 'expr': return 'exp';
    case 'val-expr': return 'vexp';
  }
}

/** Differences between our row and readelf's, as readable lines. */
function compare(s: Sample, row: CfiRow | null): string[] {
  const at = `pc ${s.pc}`;
  if (s.row === null) return row ? [`${at}: expected no row, got ${row.section} FDE ${row.fdeStart.toString(16)}`] : [];
  if (!row) return [`${at}: expected a row from ${s.sec} FDE ${s.fde![0]}, got null`];
  const out: string[] = [];
  const hex = (v: bigint) => '0x' + v.toString(16);
  if (row.section !== s.sec) out.push(`${at}: section ${row.section}, expected ${s.sec}`);
  if (hex(row.fdeStart) !== s.fde![0] || hex(row.fdeEnd) !== s.fde![1]) out.push(`${at}: FDE ${hex(row.fdeStart)}..${hex(row.fdeEnd)}, expected ${s.fde!.join('..')}`);
  if (hex(row.rowStart) !== s.row) out.push(`${at}: row starts ${hex(row.rowStart)}, expected ${s.row}`);
  if (row.returnColumn !== s.ra) out.push(`${at}: return column ${row.returnColumn}, expected ${s.ra}`);
  const cfa = row.cfa.kind === 'expr' ? 'exp' : `${row.cfa.reg}${row.cfa.offset >= 0n ? '+' : ''}${row.cfa.offset}`;
  const want = s.cfa === 'exp' ? 'exp' : `${s.cfa![0]}${s.cfa![1] >= 0 ? '+' : ''}${s.cfa![1]}`;
  if (cfa !== want) out.push(`${at}: CFA ${cfa}, expected ${want}`);
  for (const [reg, text] of Object.entries(s.regs!)) {
    const ours = cell(row.regs.get(Number(reg)));
    if (ours !== text) out.push(`${at}: r${reg} is ${ours}, expected ${text}`);
  }
  for (const reg of row.regs.keys()) {
    if (!(String(reg) in s.regs!)) out.push(`${at}: r${reg} has rule ${cell(row.regs.get(reg))} but readelf shows no column for it`);
  }
  return out;
}

for (const e of expected.elfs) {
  test(`${e.arch}: ${e.path}: rowAt agrees with readelf on ${e.samples.length} pcs`, async (t) => {
    const elf = await readElf(path.join(ROOT, e.path));
    const cfi = CallFrameInfo.fromElf(elf);
    const diffs = e.samples.flatMap((s) => compare(s, cfi.rowAt(BigInt(s.pc))));
    t.deepEqual(diffs, []);
    t.is(cfi.fdeCount, e.fdeCount);
    t.deepEqual(cfi.warnings, []);
  });
}

test('the oracle covers every arch, static glibc and musl, and the unusual rules', (t) => {
  t.deepEqual([...new Set(expected.elfs.map((e) => e.arch))].sort(), ['aarch64', 'rv32', 'rv64', 'x86-64']);
  t.true(expected.elfs.some((e) => e.path.endsWith('-musl.elf')));
  const cells = new Set(expected.elfs.flatMap((e) => e.samples.flatMap((s) => Object.values(s.regs ?? {}).map((c) => c.replace(/[+-]?\d+$/, '')))));
  for (const c of ['u', 's', 'c', 'r', 'exp']) t.true(cells.has(c), c);
  t.true(expected.elfs.some((e) => e.samples.some((s) => s.cfa === 'exp')));
  t.true(expected.elfs.some((e) => e.samples.some((s) => s.row === null)));
  t.true(expected.elfs.some((e) => e.samples.some((s) => s.sec === '.debug_frame')));
});

test('static glibc ELFs index hundreds of FDEs', async (t) => {
  for (const arch of ['aarch64', 'x86-64', 'rv64']) {
    const cfi = CallFrameInfo.fromElf(await readElf(path.join(ROOT, 'guests/linux/build', arch, 'abort.elf')));
    t.true(cfi.fdeCount > 200, `${arch}: ${cfi.fdeCount}`);
  }
});

// ---------------------------------------------------------------------------------------
// Real rows, synthetic stacks: the frames the frame-pointer walker loses.

function regsOf(m: Record<number, bigint>): UnwindRegs {
  return { get: (r) => m[r] };
}
function memory(words: Map<bigint, bigint>) {
  return (a: bigint) => words.get(a) ?? null;
}
const symbol = (elf: ElfFile, name: string) => {
  const s = elf.symbols.find((x) => x.name === name || x.name.startsWith(name + '.'));
  if (!s) throw new Error(`no symbol ${name}`);
  return s.value;
};

test('x86-64 glibc: __pthread_kill_implementation unwinds without rbp as a frame pointer', async (t) => {
  const elf = await readElf(path.join(ROOT, 'guests/linux/build/x86-64/abort.elf'));
  const cfi = CallFrameInfo.fromElf(elf);
  const fn = symbol(elf, '__pthread_kill_implementation');
  // Deep in the body: all six pushes and `sub rsp, 16` done, CFA = rsp+64.
  const row = cfi.rowAt(fn + 0x20n)!;
  t.truthy(row);
  t.deepEqual(row.cfa, { kind: 'reg', reg: X86.rsp, offset: 64n });
  const rsp = 0x7fff_0000n;
  const cfa = rsp + 64n;
  const words = new Map<bigint, bigint>([
    [cfa - 8n, 0x401234n], // return address
    [cfa - 16n, 0x14n], [cfa - 24n, 0x13n], [cfa - 32n, 0x12n], [cfa - 40n, 0x6n], [cfa - 48n, 0x3n],
  ]);
  const r = unwindStep(row, regsOf({ [X86.rsp]: rsp, [X86.rbp]: 0xdeadn /* not a frame pointer here */ }), memory(words), 8);
  if ('error' in r) return t.fail(r.error);
  t.is(r.cfa, cfa);
  t.is(r.returnAddress, 0x401234n);
  t.is(r.regs.get(X86.rip), 0x401234n);
  t.is(r.regs.get(X86.rbp), 0x6n);
  t.is(r.regs.get(X86.rbx), 0x3n);
  t.is(r.regs.get(X86.r14), 0x14n);
});

test('x86-64 glibc: __restore_rt is a signal frame whose CFA and registers come from the ucontext', async (t) => {
  const elf = await readElf(path.join(ROOT, 'guests/linux/build/x86-64/abort.elf'));
  const cfi = CallFrameInfo.fromElf(elf);
  const fn = symbol(elf, '__restore_rt');
  const row = cfi.rowAt(fn)!;
  t.true(row.signalFrame);
  t.is(row.fdeStart, fn - 1n); // the FDE starts one byte early so that pc-1 lookups work
  t.is(row.cfa.kind, 'expr');
  t.is(row.regs.get(X86.rip)?.kind, 'expr');
  // The ucontext's mcontext at rsp+40: r8.. then rsp at +160, rip at +168.
  const rsp = 0x7fff_1000n;
  const words = new Map<bigint, bigint>([[rsp + 160n, 0x7fff_2000n], [rsp + 168n, 0x4017c3n], [rsp + 120n, 0x7fff_2040n]]);
  const r = unwindStep(row, regsOf({ [X86.rsp]: rsp }), memory(words), 8);
  if ('error' in r) return t.fail(r.error);
  t.is(r.cfa, 0x7fff_2000n);
  t.is(r.returnAddress, 0x4017c3n);
  t.is(r.regs.get(X86.rsp), 0x7fff_2000n);
  t.is(r.regs.get(X86.rbp), 0x7fff_2040n);
  t.false(r.regs.has(X86.r12), 'unreadable slots are left out, not errors');
});

test('glibc _start marks the outermost frame: the return address is undefined', async (t) => {
  // aarch64's start.S says cfi_undefined (x30) after its first instruction (bti c).
  for (const [arch, ra, sp, at] of [['x86-64', 16, 7, 0n], ['aarch64', 30, 31, 4n], ['rv64', 1, 2, 0n]] as const) {
    const elf = await readElf(path.join(ROOT, 'guests/linux/build', arch, 'abort.elf'));
    const row = CallFrameInfo.fromElf(elf).rowAt(symbol(elf, '_start') + at)!;
    t.is(row.returnColumn, ra, arch);
    t.deepEqual(row.regs.get(ra), { kind: 'undefined' }, arch);
    const r = unwindStep(row, regsOf({ [sp]: 0x8000n, [ra]: 0x1234n }), () => 0n, 8);
    t.true('error' in r && /undefined/.test(r.error), arch);
  }
});

// ---------------------------------------------------------------------------------------
// Hand-built sections.

const u16 = (v: number) => [v & 0xff, (v >> 8) & 0xff];
const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const u64 = (v: bigint) => [...u32(Number(v & 0xffff_ffffn)), ...u32(Number(v >> 32n))];
function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
}
const str = (s: string) => [...Buffer.from(s), 0];

/** A fake ELF holding the given sections (file offsets from 0x40). */
function fakeElf(sections: { name: string; addr: bigint; data: number[] | Uint8Array }[], bits: 32 | 64 = 64): ElfFile {
  let off = 0x40;
  const parts = sections.map((s, i) => {
    const p = { index: i + 1, name: s.name, type: 1, flags: 2n, addr: s.addr, offset: BigInt(off), size: BigInt(s.data.length) };
    off += s.data.length;
    return p;
  });
  const bytes = new Uint8Array(off);
  sections.forEach((s, i) => bytes.set(s.data, Number(parts[i]!.offset)));
  return { path: 'fake.elf', bytes, bits, type: 2, machine: 62, entry: 0n, phoff: 0n, phentsize: 0, phnum: 0, segments: [], sections: parts, symbols: [] };
}

/** An .eh_frame builder: CIEs and FDEs appended in order, pcrel|sdata4 addresses ('zR' 0x1b). */
class EhFrame {
  bytes: number[] = [];
  constructor(readonly addr: bigint) {}
  entry(body: number[]): number {
    const at = this.bytes.length;
    this.bytes.push(...u32(body.length), ...body);
    return at;
  }
  cie(opts: { aug?: string; augData?: number[]; caf?: number; daf?: number; ra?: number; insns?: number[]; version?: number } = {}): number {
    const aug = opts.aug ?? 'zR';
    const augData = opts.augData ?? (aug === 'zR' ? [0x1b] : []);
    return this.entry([
      ...u32(0), opts.version ?? 1, ...str(aug), ...uleb(opts.caf ?? 1), ...sleb(opts.daf ?? -8), opts.ra ?? 16,
      ...(aug.startsWith('z') ? [...uleb(augData.length), ...augData] : []),
      ...(opts.insns ?? [0x0c, 7, 8, 0x90, 1]), // def_cfa rsp+8; rip at cfa-8
    ]);
  }
  fde(cieAt: number, start: bigint, len: number, insns: number[], ciePtr?: number): number {
    const at = this.bytes.length;
    const loc = Number(start - (this.addr + BigInt(at + 8)));
    return this.entry([...u32(ciePtr ?? at + 4 - cieAt), ...u32(loc | 0), ...u32(len), 0, ...insns]);
  }
  elf(extra: { name: string; addr: bigint; data: number[] }[] = []): ElfFile {
    return fakeElf([{ name: '.eh_frame', addr: this.addr, data: this.bytes }, ...extra]);
  }
}

test('every CFA instruction, with the CIE factors applied', (t) => {
  const eh = new EhFrame(0x5000n);
  const cie = eh.cie({ caf: 4, daf: -4, ra: 30, aug: 'zRS', augData: [0x1b], insns: [0x0c, 31, 0, 0x07, 30] });
  const f = eh.fde(cie, 0x10000n, 0x400, [
    0x41, // advance_loc 1*4 -> 0x10004
    0x0e, ...uleb(32), // def_cfa_offset 32
    0x9d, 4, // offset r29 at cfa-16
    0x05, 30, 2, // offset_extended r30 at cfa-8
    0x02, 2, // advance_loc1 8 -> 0x1000c
    0x0a, // remember_state
    0x0d, 29, // def_cfa_register r29
    0x11, 19, ...sleb(-6), // offset_extended_sf r19 at cfa+24
    0x14, 20, 3, // val_offset r20 = cfa-12
    0x15, 21, ...sleb(2), // val_offset_sf r21 = cfa-8
    0x09, 22, 23, // register r22 in r23
    0x08, 24, // same_value r24
    0x2f, 25, 1, // GNU_negative_offset_extended r25 at cfa+4
    0x2e, 16, // GNU_args_size (ignored)
    0x2d, // AARCH64_negate_ra_state
    0x03, ...u16(4), // advance_loc2 16 -> 0x1001c
    0x12, 31, ...sleb(-4), // def_cfa_sf sp+16
    0x13, ...sleb(-8), // def_cfa_offset_sf 32
    0x10, 26, 2, 0x70 + 31, 8, // expression r26: breg31 +8
    0x16, 27, 2, 0x70 + 31, 16, // val_expression r27: breg31 +16
    0x04, ...u32(4), // advance_loc4 16 -> 0x1002c
    0x0f, 3, 0x70 + 29, 0, 0x06, // def_cfa_expression: breg29 0; deref
    0xc0 + 29, // restore r29 (no CIE rule -> default)
    0x06, 30, // restore_extended r30 -> CIE's undefined
    0x00, // nop
    0x44, // advance_loc 16 -> 0x1003c
    0x0b, // restore_state -> the state at 0x1000c
  ]);
  t.true(f > 0);
  const cfi = CallFrameInfo.fromElf(eh.elf());
  t.is(cfi.fdeCount, 1);
  const r0 = cfi.rowAt(0x10000n)!;
  t.deepEqual([r0.rowStart, r0.cfa, r0.regs.get(30), r0.signalFrame, r0.returnColumn], [0x10000n, { kind: 'reg', reg: 31, offset: 0n }, { kind: 'undefined' }, true, 30]);
  const r1 = cfi.rowAt(0x10008n)!;
  t.is(r1.rowStart, 0x10004n);
  t.deepEqual(r1.cfa, { kind: 'reg', reg: 31, offset: 32n });
  t.deepEqual(r1.regs.get(29), { kind: 'offset', offset: -16n });
  t.deepEqual(r1.regs.get(30), { kind: 'offset', offset: -8n });
  const r2 = cfi.rowAt(0x1000cn)!;
  t.is(r2.rowStart, 0x1000cn);
  t.deepEqual(r2.cfa, { kind: 'reg', reg: 29, offset: 32n });
  t.deepEqual(r2.regs.get(19), { kind: 'offset', offset: 24n });
  t.deepEqual(r2.regs.get(20), { kind: 'val-offset', offset: -12n });
  t.deepEqual(r2.regs.get(21), { kind: 'val-offset', offset: -8n });
  t.deepEqual(r2.regs.get(22), { kind: 'register', reg: 23 });
  t.deepEqual(r2.regs.get(24), { kind: 'same' });
  t.deepEqual(r2.regs.get(25), { kind: 'offset', offset: 4n });
  t.true(r2.raSigned);
  const r3 = cfi.rowAt(0x1002bn)!;
  t.is(r3.rowStart, 0x1001cn);
  t.deepEqual(r3.cfa, { kind: 'reg', reg: 31, offset: 32n });
  t.deepEqual(r3.regs.get(26), { kind: 'expr', expr: new Uint8Array([0x8f, 8]) });
  t.deepEqual(r3.regs.get(27), { kind: 'val-expr', expr: new Uint8Array([0x8f, 16]) });
  const r4 = cfi.rowAt(0x1002cn)!;
  t.deepEqual(r4.cfa, { kind: 'expr', expr: new Uint8Array([0x8d, 0, 0x06]) });
  t.false(r4.regs.has(29));
  t.deepEqual(r4.regs.get(30), { kind: 'undefined' });
  const r5 = cfi.rowAt(0x103ffn)!;
  t.is(r5.rowStart, 0x1003cn);
  t.deepEqual(r5.cfa, { kind: 'reg', reg: 31, offset: 32n }); // the remembered CFA, as gdb and libgcc
  t.deepEqual(r5.regs.get(29), { kind: 'offset', offset: -16n });
  t.deepEqual(r5.regs.get(30), { kind: 'offset', offset: -8n });
  t.false(r5.regs.has(19));
  t.is(r5.raSigned, undefined, 'the RA sign state is remembered state too (gdb keeps it as a register column)');
  t.is(cfi.rowAt(0x10400n), null);
  t.is(cfi.rowAt(0xfffcn), null);
  t.deepEqual(cfi.warnings, []);
});

test('pointer encodings: udata4 absolute, uleb128, sdata8 pcrel, datarel against .got; indirect personality skipped', (t) => {
  const eh = new EhFrame(0x5000n);
  const abs = eh.cie({ aug: 'zR', augData: [0x03] });
  eh.entry([...u32(eh.bytes.length + 4 - abs), ...u32(0x20000), ...u32(0x10), 0, 0x0e, 16]);
  const uleb128 = eh.cie({ aug: 'zR', augData: [0x01] });
  eh.entry([...u32(eh.bytes.length + 4 - uleb128), ...uleb(0x20010), ...uleb(0x10), 0, 0x0e, 24]);
  const pcrel8 = eh.cie({ aug: 'zR', augData: [0x1c] });
  {
    const at = eh.bytes.length;
    eh.entry([...u32(at + 4 - pcrel8), ...u64(0x20020n - (0x5000n + BigInt(at + 8))), ...u64(0x10n), 0, 0x0e, 32]);
  }
  const datarel = eh.cie({ aug: 'zR', augData: [0x3b] }); // datarel|sdata4
  eh.entry([...u32(eh.bytes.length + 4 - datarel), ...u32(0x20030 - 0x9000), ...u32(0x10), 0, 0x0e, 40]);
  // zPLR: personality indirect|pcrel|sdata4 (glibc's own CIEs have this), LSDA pointer in the FDE.
  const plr = eh.cie({ aug: 'zPLR', augData: [0x9b, ...u32(0x1234), 0x1b, 0x1b] });
  {
    const at = eh.bytes.length;
    eh.entry([...u32(at + 4 - plr), ...u32(Number(0x20040n - (0x5000n + BigInt(at + 8)))), ...u32(0x10), 4, ...u32(0x99), 0x0e, 48]);
  }
  const cfi = CallFrameInfo.fromElf(eh.elf([{ name: '.got', addr: 0x9000n, data: [0, 0, 0, 0, 0, 0, 0, 0] }]));
  t.deepEqual(cfi.warnings, []);
  t.is(cfi.fdeCount, 5);
  const offs = [0x20000n, 0x20010n, 0x20020n, 0x20030n, 0x20040n].map((pc) => {
    const r = cfi.rowAt(pc + 0xfn);
    return r && r.cfa.kind === 'reg' ? [r.fdeStart, r.fdeEnd, r.cfa.offset] : null;
  });
  t.deepEqual(offs, [
    [0x20000n, 0x20010n, 16n], [0x20010n, 0x20020n, 24n], [0x20020n, 0x20030n, 32n], [0x20030n, 0x20040n, 40n], [0x20040n, 0x20050n, 48n],
  ]);
});

test('.debug_frame: 32- and 64-bit DWARF, CIE versions 1 and 4; it wins over an .eh_frame FDE at the same start (gdb)', (t) => {
  const df: number[] = [];
  // 32-bit DWARF CIE v4 (address_size 8), at 0.
  const cie32 = [...u32(0xffffffff), 4, 0, 8, 0, 1, ...sleb(-8), ...uleb(16), 0x0c, 7, 8, 0x90, 1];
  df.push(...u32(cie32.length), ...cie32);
  const fde32 = [...u32(0), ...u64(0x30000n), ...u64(0x20n), 0x41, 0x0e, 16];
  df.push(...u32(fde32.length), ...fde32);
  // 64-bit DWARF CIE v1.
  const cie64At = df.length;
  const cie64 = [...u64(0xffff_ffff_ffff_ffffn), 1, 0, 1, ...sleb(-8), 16, 0x0c, 7, 8];
  df.push(...u32(0xffffffff), ...u64(BigInt(cie64.length)), ...cie64);
  const fde64 = [...u64(BigInt(cie64At)), ...u64(0x30100n), ...u64(0x10n), 0x0e, 64];
  df.push(...u32(0xffffffff), ...u64(BigInt(fde64.length)), ...fde64);
  // .eh_frame with an FDE at the same start as the first .debug_frame one, and one of its own.
  const eh = new EhFrame(0x5000n);
  const c = eh.cie();
  eh.fde(c, 0x30000n, 0x20, [0x0e, 99]);
  eh.fde(c, 0x30200n, 0x10, [0x0e, 77]);
  const cfi = CallFrameInfo.fromElf(eh.elf([{ name: '.debug_frame', addr: 0n, data: df }]));
  t.deepEqual(cfi.warnings, []);
  t.is(cfi.fdeCount, 3);
  const a = cfi.rowAt(0x30001n)!;
  t.deepEqual([a.section, a.rowStart, a.cfa], ['.debug_frame', 0x30001n, { kind: 'reg', reg: 7, offset: 16n }]);
  t.deepEqual(a.regs.get(16), { kind: 'offset', offset: -8n });
  const b = cfi.rowAt(0x30105n)!;
  t.deepEqual([b.section, b.cfa], ['.debug_frame', { kind: 'reg', reg: 7, offset: 64n }]);
  t.is(b.regs.size, 0);
  const e = cfi.rowAt(0x30200n)!;
  t.deepEqual([e.section, e.cfa], ['.eh_frame', { kind: 'reg', reg: 7, offset: 77n }]);
});

test('32-bit ELF: pcrel addresses wrap at 32 bits', (t) => {
  const eh = new EhFrame(0x8000_0000n);
  const c = eh.cie({ daf: -4, ra: 1, insns: [0x0c, 2, 0] });
  eh.fde(c, 0x1_0000n, 0x20, [0x81, 1]); // offset r1 at cfa-4
  const elf = fakeElf([{ name: '.eh_frame', addr: 0x8000_0000n, data: eh.bytes }], 32);
  const cfi = CallFrameInfo.fromElf(elf);
  const r = cfi.rowAt(0x1_0010n)!;
  t.deepEqual([r.fdeStart, r.fdeEnd, r.regs.get(1)], [0x1_0000n, 0x1_0020n, { kind: 'offset', offset: -4n }]);
});

/** Build, check that pc gets no row, and return the warnings. */
function corrupt(t: import('ava').ExecutionContext, elf: ElfFile, pc: bigint): string[] {
  const cfi = CallFrameInfo.fromElf(elf);
  t.notThrows(() => cfi.rowAt(pc));
  t.is(cfi.rowAt(pc), null);
  return cfi.warnings;
}

test('corrupt: truncated CIE', (t) => {
  const eh = new EhFrame(0x5000n);
  eh.entry([...u32(0), 1, ...Buffer.from('zR')]); // the augmentation string is cut off
  eh.fde(0, 0x10000n, 0x10, []);
  const w = corrupt(t, eh.elf(), 0x10004n);
  t.is(w.length, 1);
  t.regex(w[0]!, /^\.eh_frame\+0x0: CIE is truncated or corrupt/);
});

test('corrupt: bad CIE pointers', (t) => {
  const eh = new EhFrame(0x5000n);
  const c = eh.cie();
  const good = eh.fde(c, 0x10000n, 0x10, []);
  const before = eh.fde(c, 0x10010n, 0x10, [], 0x1000); // before the section start
  const notCie = eh.fde(c, 0x10020n, 0x10, [], eh.bytes.length + 4 - good); // points at an FDE
  const cfi = CallFrameInfo.fromElf(eh.elf());
  t.truthy(cfi.rowAt(0x10000n));
  t.is(cfi.rowAt(0x10010n), null);
  t.is(cfi.rowAt(0x10020n), null);
  t.deepEqual(cfi.warnings, [
    `.eh_frame+0x${before.toString(16)}: FDE's CIE pointer 0x1000 points before the section start`,
    `.eh_frame+0x${notCie.toString(16)}: FDE's CIE pointer leads to 0x${good.toString(16)}, which is not a CIE`,
  ]);
});

test('corrupt: unknown augmentation, unsupported version, indirect FDE encoding', (t) => {
  const eh = new EhFrame(0x5000n);
  const xy = eh.cie({ aug: 'zXY', augData: [1, 2] });
  eh.fde(xy, 0x10000n, 0x10, []);
  const v2 = eh.cie({ version: 2 });
  eh.fde(v2, 0x10010n, 0x10, []);
  const ind = eh.cie({ aug: 'zR', augData: [0x9b] });
  eh.fde(ind, 0x10020n, 0x10, []);
  const cfi = CallFrameInfo.fromElf(eh.elf());
  for (const pc of [0x10000n, 0x10010n, 0x10020n]) t.is(cfi.rowAt(pc), null);
  t.deepEqual(cfi.warnings, [
    `.eh_frame+0x${xy.toString(16)}: CIE augmentation 'zXY' is not understood`,
    `.eh_frame+0x${v2.toString(16)}: CIE version 2 is not supported`,
    `.eh_frame+0x${ind.toString(16)}: FDE pointer encoding 0x9b (indirect) is not supported`,
  ]);
});

test('corrupt: an entry length past the end keeps the FDEs before it', (t) => {
  const eh = new EhFrame(0x5000n);
  const c = eh.cie();
  eh.fde(c, 0x10000n, 0x10, [0x0e, 16]);
  const bad = eh.bytes.length;
  eh.fde(c, 0x10010n, 0x10, []);
  eh.bytes.splice(bad, 4, ...u32(0x1000));
  const cfi = CallFrameInfo.fromElf(eh.elf());
  t.is(cfi.rowAt(0x10010n), null);
  t.truthy(cfi.rowAt(0x10000n));
  t.deepEqual(cfi.warnings, [`.eh_frame+0x${bad.toString(16)}: entry length 0x1000 runs past the end of the section (0x${eh.bytes.length.toString(16)} bytes)`]);
});

test('corrupt: reserved length, bad .debug_frame CIE id, instructions', (t) => {
  const eh = new EhFrame(0x5000n);
  const c = eh.cie();
  const unk = eh.fde(c, 0x10000n, 0x10, [0x41, 0x3f]); // unknown opcode 0x3f after one advance
  const trunc = eh.fde(c, 0x10010n, 0x10, [0x0c, 7]); // def_cfa without its offset
  const unbalanced = eh.fde(c, 0x10020n, 0x10, [0x0b, 0x0e, 24]); // restore_state alone: gdb ignores it
  eh.bytes.push(...u32(0xfffffff5));
  const df = [...u32(12), ...u32(0x1234), ...u32(0), ...u32(0)]; // an FDE pointing at no CIE
  const cfi = CallFrameInfo.fromElf(eh.elf([{ name: '.debug_frame', addr: 0n, data: df }]));
  t.truthy(cfi.rowAt(0x10000n), 'the row before the bad opcode is fine');
  t.is(cfi.rowAt(0x1000fn), null);
  t.truthy(cfi.rowAt(0x10000n), 'and stays fine');
  t.is(cfi.rowAt(0x10010n), null);
  t.deepEqual(cfi.rowAt(0x10020n)?.cfa, { kind: 'reg', reg: 7, offset: 24n });
  const w = cfi.warnings;
  t.true(w.includes(`.eh_frame+0x${(eh.bytes.length - 4).toString(16)}: reserved unit length 0xfffffff5`), w.join('\n'));
  t.true(w.includes(`.debug_frame+0x0: FDE's CIE pointer 0x1234 is outside the section`), w.join('\n'));
  t.true(w.includes(`.eh_frame+0x${(unk + 18).toString(16)}: FDE instructions: unknown DW_CFA opcode 0x3f`), w.join('\n'));
  t.true(w.includes(`.eh_frame+0x${trunc.toString(16)}: FDE instructions: .eh_frame+0x${(trunc + 19).toString(16)}: truncated LEB128`), w.join('\n'));
  t.true(w.includes(`.eh_frame+0x${(unbalanced + 17).toString(16)}: FDE instructions: DW_CFA_restore_state without a DW_CFA_remember_state (ignored)`), w.join('\n'));
  t.is(w.length, 5);
});

test('corrupt: random byte flips in a real .eh_frame never throw', async (t) => {
  const elf = await readElf(path.join(ROOT, 'guests/linux/build/x86-64/abort.elf'));
  const sec = elf.sections.find((s) => s.name === '.eh_frame')!;
  const next = rng(0xcf1);
  const pcs = Array.from({ length: 64 }, () => sec.addr - 0x90000n + BigInt(next() % 0x90000));
  let warned = 0;
  for (let round = 0; round < 40; round++) {
    const bytes = elf.bytes.slice();
    for (let i = 0; i < 1 + (round % 8); i++) bytes[Number(sec.offset) + (next() % Number(sec.size))] = next() & 0xff;
    const cfi = CallFrameInfo.fromElf({ ...elf, bytes });
    t.notThrows(() => {
      for (const pc of pcs) {
        const row = cfi.rowAt(pc);
        if (row) unwindStep(row, regsOf({ 7: 0x8000n, 6: 0x9000n, 16: 0x401000n }), () => 0x1000n, 8);
      }
    });
    if (cfi.warnings.length) warned++;
  }
  t.true(warned > 10, `${warned} corrupted copies gave warnings`);
});

// ---------------------------------------------------------------------------------------
// unwindStep on synthetic rows.

function row(cfa: CfiRow['cfa'], regs: [number, RegRule][], returnColumn = 16): CfiRow {
  return { fdeStart: 0x1000n, fdeEnd: 0x1100n, rowStart: 0x1000n, cfa, regs: new Map(regs), returnColumn, signalFrame: false, section: '.eh_frame' };
}

test('unwindStep: offset, val_offset, register and same rules', (t) => {
  const r = unwindStep(
    row({ kind: 'reg', reg: 7, offset: 16n }, [
      [16, { kind: 'offset', offset: -8n }],
      [6, { kind: 'offset', offset: -16n }],
      [7, { kind: 'val-offset', offset: 0n }],
      [3, { kind: 'register', reg: 12 }],
      [13, { kind: 'same' }],
      [14, { kind: 'undefined' }],
    ]),
    regsOf({ 7: 0x8000n, 12: 0xc12n, 13: 0xc13n, 14: 0xc14n }),
    memory(new Map([[0x8008n, 0x401122n], [0x8000n, 0x8100n]])),
    8,
  );
  if ('error' in r) return t.fail(r.error);
  t.is(r.cfa, 0x8010n);
  t.is(r.returnAddress, 0x401122n);
  t.deepEqual([...r.regs].sort((a, b) => a[0] - b[0]), [[3, 0xc12n], [6, 0x8100n], [7, 0x8010n], [13, 0xc13n], [16, 0x401122n]]);
});

test('unwindStep: a return column without a rule keeps the callee value (aarch64 / RISC-V leaf)', (t) => {
  const r = unwindStep(row({ kind: 'reg', reg: 31, offset: 0n }, [], 30), regsOf({ 31: 0x7000n, 30: 0x400a10n }), () => null, 8);
  if ('error' in r) return t.fail(r.error);
  t.deepEqual([r.cfa, r.returnAddress], [0x7000n, 0x400a10n]);
});

test('unwindStep: expression CFA and expression rules (DW_OP_breg, deref, arithmetic, branches)', (t) => {
  const mem = memory(new Map([[0x9000n + 160n, 0xa000n], [0xa000n - 8n, 0x402000n], [0xa000n + 0x20n, 0x55n]]));
  const r = unwindStep(
    row({ kind: 'expr', expr: new Uint8Array([0x77, ...sleb(160), 0x06]) }, [
      [16, { kind: 'expr', expr: new Uint8Array([0x38, 0x1c]) }], // CFA pushed; lit8; minus -> CFA-8
      [6, { kind: 'val-expr', expr: new Uint8Array([0x12, 0x22, 0x23, 4]) }], // dup; plus; plus_uconst 4 -> 2*CFA+4
      [3, { kind: 'expr', expr: new Uint8Array([0x13, 0x92, 7, ...sleb(0x1000), 0x08, 0xff, 0x1a, 0x08, 0x20, 0x22]) }], // drop; bregx 7 0x1000; and 0xff; +0x20
      [12, { kind: 'val-expr', expr: new Uint8Array([0x31, 0x28, ...u16(4), 0x3a, 0x2f, ...u16(1), 0x3b]) }], // lit1; bra +4 over lit10; skip 1 -> lit11
      [13, { kind: 'val-expr', expr: new Uint8Array([0x11, ...sleb(-5), 0x19, 0x33, 0x24, 0x30, 0x27, 0x34, 0x1d]) }], // |-5| << 3 = 40; xor 0; mod 4 -> 0
      [14, { kind: 'val-expr', expr: new Uint8Array([0x9c, 0x40, 0x2d]) }], // call_frame_cfa < 16 -> 0
    ]),
    regsOf({ 7: 0x9000n }),
    mem,
    8,
  );
  if ('error' in r) return t.fail(r.error);
  t.is(r.cfa, 0xa000n);
  t.is(r.returnAddress, 0x402000n);
  t.is(r.regs.get(6), 0x14004n);
  t.false(r.regs.has(3), '(0x9000+0x1000)&0xff+0x20 = 0x20 is unreadable: left out');
  t.is(r.regs.get(12), 11n);
  t.is(r.regs.get(13), 0n);
  t.is(r.regs.get(14), 0n);
});

test('unwindStep: 32-bit values wrap', (t) => {
  const r = unwindStep(row({ kind: 'reg', reg: 2, offset: 16n }, [[1, { kind: 'offset', offset: -4n }]], 1), regsOf({ 2: 0xffff_fff8n }), memory(new Map([[0x4n, 0x10074n]])), 4);
  if ('error' in r) return t.fail(r.error);
  t.deepEqual([r.cfa, r.returnAddress], [0x8n, 0x10074n]);
});

test('unwindStep: errors instead of throws', (t) => {
  const mem = () => null;
  const err = (r: ReturnType<typeof unwindStep>) => ('error' in r ? r.error : 'no error');
  t.is(err(unwindStep(row({ kind: 'reg', reg: 6, offset: 16n }, []), regsOf({ 7: 0x8000n }), mem, 8)), 'CFA register r6 is unknown');
  t.is(err(unwindStep(row({ kind: 'reg', reg: 7, offset: 16n }, [[16, { kind: 'offset', offset: -8n }]]), regsOf({ 7: 0x8000n }), mem, 8)), "cannot read r16's save slot at 0x8008");
  t.is(err(unwindStep(row({ kind: 'reg', reg: 7, offset: 16n }, [[16, { kind: 'register', reg: 2 }]]), regsOf({ 7: 0x8000n }), mem, 8)), 'r16 is in r2, which is unknown');
  t.is(err(unwindStep(row({ kind: 'reg', reg: 7, offset: 8n }, []), regsOf({ 7: 0x8000n }), mem, 8)), 'the return address register r16 is unknown');
  t.regex(err(unwindStep(row({ kind: 'reg', reg: 7, offset: 8n }, [[16, { kind: 'undefined' }]]), regsOf({ 7: 0x8000n }), mem, 8)), /undefined: outermost frame/);
  t.is(err(unwindStep(row({ kind: 'expr', expr: new Uint8Array([0xe0]) }, []), regsOf({}), mem, 8)), 'CFA expression: DWARF expression op 0xe0 is not supported in CFI (at byte 0)');
  t.is(err(unwindStep(row({ kind: 'expr', expr: new Uint8Array([0x77]) }, []), regsOf({ 7: 1n }), mem, 8)).startsWith('CFA expression: truncated DWARF expression'), true);
  t.is(err(unwindStep(row({ kind: 'expr', expr: new Uint8Array([0x22]) }, []), regsOf({}), mem, 8)), 'CFA expression: stack underflow');
  t.is(err(unwindStep(row({ kind: 'expr', expr: new Uint8Array([0x9c]) }, []), regsOf({}), mem, 8)), 'CFA expression: DW_OP_call_frame_cfa inside the CFA rule');
  t.is(err(unwindStep(row({ kind: 'expr', expr: new Uint8Array([0x2f, ...u16(0xfffd)]) }, []), regsOf({}), mem, 8)), 'CFA expression: more than 10000 operations (loop?)');
  t.is(err(unwindStep(row({ kind: 'expr', expr: new Uint8Array([0x77, 0, 0x06]) }, []), regsOf({ 7: 0x10n }), mem, 8)), 'CFA expression: cannot read memory at 0x10');
});
