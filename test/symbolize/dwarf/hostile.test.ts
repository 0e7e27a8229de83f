// Corrupt DWARF, made by patching fixture bytes in memory: lookups must return (possibly
// less, possibly []) without throwing or hanging, and say what went wrong in `warnings`.

import test, { type ExecutionContext } from 'ava';
import type { ElfFile } from '../../../src/loader/elf.js';
import * as C from '../../../src/symbolize/dwarf/constants.js';
import { skipForm } from '../../../src/symbolize/dwarf/forms.js';
import { DwarfInfo, type SourceFrame } from '../../../src/symbolize/dwarf/index.js';
import { Reader } from '../../../src/symbolize/dwarf/reader.js';
import { DebugSections } from '../../../src/symbolize/dwarf/sections.js';
import { UnitCtx, readDie, readUnitHeader } from '../../../src/symbolize/dwarf/unit.js';
import { FIXTURES, cloneElf, findBytes, loadElf, sectionRange } from './util.js';
import { rng } from '../../helpers/rng.js';

const NULL_WRITE = 'guests/build/rv64/null-write.elf';
const BT_LEAF_STORE = 0x1122en;
const START = 0x111f6n; // inside _start (first unit, found through .debug_aranges)
const INL = `${FIXTURES}/inl-rv64-dwarf5.elf`;
const INL_STORE = 0x1124cn;

/** Look up every address on a fresh DwarfInfo; fail if anything throws or takes over a second. */
function lookupAll(t: ExecutionContext, elf: ElfFile, addrs: bigint[]): { d: DwarfInfo; res: SourceFrame[][] } {
  const d = DwarfInfo.fromElf(elf)!;
  t.truthy(d);
  const t0 = performance.now();
  const res = addrs.map((a) => d.lookup(a));
  // Twice: cached (possibly partial) state must be as safe as the first parse.
  t.deepEqual(addrs.map((a) => d.lookup(a)), res);
  t.true(performance.now() - t0 < 1000, 'lookups took over a second');
  t.log(d.warnings.join('\n'));
  return { d, res };
}

function u32le(b: Uint8Array, at: number, v: number): void {
  new DataView(b.buffer, b.byteOffset).setUint32(at, v, true);
}

test('truncated .debug_line section: function names still found, no line', async (t) => {
  const elf = cloneElf(await loadElf(NULL_WRITE));
  const s = elf.sections.find((x) => x.name === '.debug_line')!;
  s.size = 0x70n; // the second unit's program starts at 0x4e and is 0xf9 bytes long
  const { d, res } = lookupAll(t, elf, [BT_LEAF_STORE, START]);
  t.deepEqual(res[0], [{ function: 'bt_leaf', file: null, line: 0, column: 0, inlined: false }]);
  t.is(res[1]![0]!.line, 14, 'the first line program is intact');
  t.is(d.warnings.length, 1);
  t.regex(d.warnings[0]!, /^\.debug_line\+0x[0-9a-f]+: .*extends past the end/);
});

test('line program cut short inside a sequence (unit_length shrunk)', async (t) => {
  const elf = cloneElf(await loadElf(NULL_WRITE));
  const [lo] = sectionRange(elf, '.debug_line');
  u32le(elf.bytes, lo + 0x4e, 0x60); // header intact, program stops before end_sequence
  const { d, res } = lookupAll(t, elf, [BT_LEAF_STORE]);
  t.is(res[0]![0]!.function, 'bt_leaf');
  t.is(res[0]![0]!.line, 0);
  t.true(d.warnings.some((w) => /ends inside a sequence/.test(w)));
});

test('unit_length past the end of .debug_info', async (t) => {
  const elf = cloneElf(await loadElf(NULL_WRITE));
  const [lo] = sectionRange(elf, '.debug_info');
  u32le(elf.bytes, lo + 0x6a, 0x00ffffff); // the second unit (src/null-write.c)
  const { d, res } = lookupAll(t, elf, [BT_LEAF_STORE, START]);
  t.deepEqual(res[0], []);
  t.is(res[1]![0]!.file, 'crt/start-rv64.S');
  t.deepEqual(d.warnings, ['.debug_info+0x6a: unit_length 0xffffff extends past the end of the section (0x120)']);
});

test('reserved unit_length value', async (t) => {
  const elf = cloneElf(await loadElf(NULL_WRITE));
  const [lo] = sectionRange(elf, '.debug_info');
  u32le(elf.bytes, lo + 0x6a, 0xfffffff3);
  const { d, res } = lookupAll(t, elf, [BT_LEAF_STORE]);
  t.deepEqual(res[0], []);
  t.regex(d.warnings[0]!, /^\.debug_info\+0x6a: reserved unit length/);
});

/** Byte offset (in the ELF) of the form of attribute `attr` in the first abbreviation with `tag` in the table at `tableOff`. */
function abbrevFormAt(elf: ElfFile, tableOff: number, tag: number, attr: number): number {
  const [lo, hi] = sectionRange(elf, '.debug_abbrev');
  const r = new Reader({ name: '.debug_abbrev', data: elf.bytes.subarray(lo, hi) }, tableOff);
  for (;;) {
    if (r.uleb() === 0) throw new Error('abbrev not found');
    const t = r.uleb();
    r.u8();
    for (;;) {
      const name = r.uleb();
      const formAt = r.pos;
      const form = r.uleb();
      if (name === 0 && form === 0) break;
      if (form === C.DW_FORM_implicit_const) r.sleb();
      if (t === tag && name === attr) return lo + formAt;
    }
  }
}

test('unknown form in the abbreviation of a subprogram', async (t) => {
  const elf = cloneElf(await loadElf(NULL_WRITE));
  const at = abbrevFormAt(elf, 0x21, C.DW_TAG_subprogram, C.DW_AT_name);
  elf.bytes[at] = 0x7f;
  const { d, res } = lookupAll(t, elf, [BT_LEAF_STORE, START]);
  // The DIE tree walk stops at the first subprogram; the line table still answers.
  t.deepEqual(res[0], [{ function: null, file: 'src/null-write.c', line: 7, column: 8, inlined: false }]);
  t.is(res[1]![0]!.line, 14);
  t.is(d.warnings.length, 1);
  t.regex(d.warnings[0]!, /^\.debug_info\+0x[0-9a-f]+: unknown form 0x7f$/);
});

test('unknown form in the abbreviation of the compile unit', async (t) => {
  const elf = cloneElf(await loadElf(NULL_WRITE));
  elf.bytes[abbrevFormAt(elf, 0x21, C.DW_TAG_compile_unit, 0x13 /* DW_AT_language */)] = 0x60;
  const { d, res } = lookupAll(t, elf, [BT_LEAF_STORE, START]);
  t.deepEqual(res[0], []);
  t.is(res[1]![0]!.line, 14);
  t.true(d.warnings.some((w) => /unknown form 0x60/.test(w)));
});

test('abbreviation code that does not exist', async (t) => {
  const elf = cloneElf(await loadElf(NULL_WRITE));
  const [lo] = sectionRange(elf, '.debug_info');
  elf.bytes[lo + 0x9b] = 0x7e; // the bt_leaf subprogram DIE's abbreviation code
  const { d, res } = lookupAll(t, elf, [BT_LEAF_STORE]);
  t.is(res[0]![0]!.function, null);
  t.is(res[0]![0]!.line, 7);
  t.regex(d.warnings[0]!, /^\.debug_info\+0x9b: unknown abbreviation code 126$/);
});

test('DW_FORM_indirect that names itself forever', async (t) => {
  const elf = cloneElf(await loadElf(NULL_WRITE));
  // The subprogram's DW_AT_name becomes DW_FORM_indirect; its value bytes (a strx1 index,
  // small) then read as "form 0x16" only if patched, so patch the DIE bytes too.
  const at = abbrevFormAt(elf, 0x21, C.DW_TAG_subprogram, C.DW_AT_name);
  elf.bytes[at] = C.DW_FORM_indirect;
  const [lo, hi] = sectionRange(elf, '.debug_info');
  for (let i = lo + 0x9b + 1; i < hi; i++) elf.bytes[i] = C.DW_FORM_indirect; // everything after: indirect, indirect, ...
  const { d, res } = lookupAll(t, elf, [BT_LEAF_STORE]);
  t.true(res[0]!.length <= 1);
  t.true(d.warnings.length >= 1);
});

/** Offsets (in the ELF) of the abstract_origin ref4 values of the inlined_subroutine DIEs of unit 2. */
function inlineOriginSlots(elf: ElfFile): { die: number; slot: number; unit: number }[] {
  const secs = new DebugSections(elf);
  const info = secs.get('.debug_info')!;
  const h1 = readUnitHeader(info, 0);
  const h = readUnitHeader(info, h1.end);
  const ctx = new UnitCtx(secs, h);
  const r = new Reader(info, h.dieOffset, h.end);
  const out: { die: number; slot: number; unit: number }[] = [];
  const [lo] = sectionRange(elf, '.debug_info');
  while (!r.atEnd) {
    const start = r.pos;
    const die = readDie(r, h, ctx.abbrevs);
    if (!die || die.tag !== C.DW_TAG_inlined_subroutine) continue;
    // Re-read the attributes up to DW_AT_abstract_origin to find where its value sits.
    const rr = new Reader(info, start, h.end);
    const a = ctx.abbrevs.get(rr.uleb())!;
    for (let i = 0; i < a.attrs.length; i++) {
      if (a.attrs[i] === C.DW_AT_abstract_origin && a.forms[i] === C.DW_FORM_ref4) out.push({ die: start, slot: lo + rr.pos, unit: h.offset });
      skipForm(rr, a.forms[i]!, h);
    }
  }
  return out;
}

test('DW_AT_abstract_origin that points at itself', async (t) => {
  const elf = cloneElf(await loadElf(INL));
  const slots = inlineOriginSlots(elf);
  t.true(slots.length >= 3);
  for (const s of slots) u32le(elf.bytes, s.slot, s.die - s.unit);
  const { d, res } = lookupAll(t, elf, [INL_STORE]);
  t.deepEqual(res[0]!.map((f) => [f.function, f.line]), [[null, 9], [null, 16], [null, 23], ['main', 32]]);
  t.true(d.warnings.some((w) => /DW_AT_abstract_origin\/DW_AT_specification loop/.test(w)));
});

test('DW_AT_abstract_origin cycle through two DIEs', async (t) => {
  const elf = cloneElf(await loadElf(INL));
  const slots = inlineOriginSlots(elf);
  const [a, b] = [slots[slots.length - 1]!, slots[slots.length - 2]!];
  u32le(elf.bytes, a.slot, b.die - b.unit);
  u32le(elf.bytes, b.slot, a.die - a.unit);
  const { d, res } = lookupAll(t, elf, [INL_STORE]);
  t.is(res[0]!.length, 4);
  t.is(res[0]![3]!.function, 'main');
  t.true(d.warnings.some((w) => /loop/.test(w)));
});

test('DW_AT_abstract_origin pointing outside .debug_info', async (t) => {
  const elf = cloneElf(await loadElf(INL));
  for (const s of inlineOriginSlots(elf)) u32le(elf.bytes, s.slot, 0x7fffff00);
  const { d, res } = lookupAll(t, elf, [INL_STORE]);
  t.is(res[0]!.length, 4);
  t.true(d.warnings.some((w) => /points outside any unit/.test(w)));
});

test('line program whose address goes backwards', async (t) => {
  const elf = cloneElf(await loadElf(`${FIXTURES}/inl-x86-64-dwarf4.elf`));
  const [lo, hi] = sectionRange(elf, '.debug_line');
  const d0 = DwarfInfo.fromElf(await loadElf(`${FIXTURES}/inl-x86-64-dwarf4.elf`))!;
  // end_sequence immediately followed by set_address: merge the two sequences by turning
  // end_sequence into an unknown extended opcode, and move the second start below the first.
  const at = findBytes(elf.bytes, [0, 1, C.DW_LNE_end_sequence, 0, 9, C.DW_LNE_set_address], lo, hi);
  t.true(at > 0);
  elf.bytes[at + 2] = 0x80;
  new DataView(elf.bytes.buffer).setBigUint64(at + 6, 0x1000n, true);
  const addrs = [0x20124bn, 0x201260n, 0x201270n];
  const { d, res } = lookupAll(t, elf, addrs);
  t.true(d.warnings.some((w) => /^\.debug_line\+0x[0-9a-f]+: line program address goes backwards/.test(w)));
  // Function frames are unaffected; lines come only from the sequences that stay valid.
  res.forEach((frames, i) => {
    const good = d0.lookup(addrs[i]!);
    t.deepEqual(frames.map((f) => f.function), good.map((f) => f.function));
  });
});

test('64-bit DWARF units are read (not skipped)', async (t) => {
  const { d, res } = lookupAll(t, await loadElf(`${FIXTURES}/inl-x86-64-dwarf64.elf`), [0x20124bn]);
  t.is(res[0]!.length, 4);
  t.deepEqual(d.warnings, []);
});

test('corrupt zlib stream in a compressed section', async (t) => {
  const elf = cloneElf(await loadElf(`${FIXTURES}/inl-aarch64-zlib.elf`));
  const [lo, hi] = sectionRange(elf, '.debug_info');
  elf.bytes.fill(0xaa, lo + 24 + 2, hi);
  const { d, res } = lookupAll(t, elf, [0x210260n]);
  // Without a usable .debug_info the line programs still answer (no function names).
  t.deepEqual(res[0], [{ function: null, file: 'src/inl.c', line: 9, column: 8, inlined: false }]);
  t.regex(d.warnings[0]!, /^\.debug_info\+0x18: zlib: /);
});

for (const file of [NULL_WRITE, INL, `${FIXTURES}/inl-x86-64-dwarf4.elf`, `${FIXTURES}/inl-rv32-dwarf4.elf`]) {
  test(`fuzz: 300 random byte mutations of the debug sections of ${file.split('/').pop()}`, async (t) => {
    const orig = await loadElf(file);
    const debug = orig.sections.filter((s) => s.name.startsWith('.debug_') && s.size > 0n);
    const text = orig.sections.find((s) => s.name === '.text')!;
    const next = rng(0xd1a7f ^ file.length);
    const t0 = performance.now();
    let frames = 0;
    let warned = 0;
    for (let iter = 0; iter < 300; iter++) {
      const elf = cloneElf(orig);
      for (let k = 1 + (next() % 6); k > 0; k--) {
        const s = debug[next() % debug.length]!;
        const at = Number(s.offset) + (next() % Number(s.size));
        elf.bytes[at] = [0, 0xff, 0x80, 0x7f, 0x16, 1, next() & 0xff][next() % 7]!;
      }
      const d = DwarfInfo.fromElf(elf)!;
      for (let j = 0; j < 8; j++) {
        const a = text.addr + BigInt(next() % Number(text.size));
        frames += d.lookup(a).length; // must not throw
      }
      if (d.warnings.length) warned++;
    }
    const ms = performance.now() - t0;
    t.log(`${frames} frames, ${warned}/300 mutants warned, ${ms.toFixed(0)} ms`);
    t.true(ms < 20_000);
  });
}
