// Prologue analysis (src/unwind/prologue.ts): against the call frame information of every
// function that has some, on hand-built code for each arch, and on the functions that
// motivated it (glibc rv64 `abort`, musl x86-64 `raise`/`abort`, which have no FDE).
//
// The oracle is CFI, which describes the same thing in its own way, so "agree" means:
//   * CFA: CFI's CFA = sp + k must be our sp offset; CFA = fp + k our fp offset (we express
//     the CFA through sp, and track fp on the side); other CFA registers cannot be checked.
//   * a register we say is saved at CFA+x: CFI says the same, or CFI says it is in its
//     register but uses that very slot for it at other pcs of the function: GCC with a frame
//     pointer and clang batch their save notes after the prologue; GCC marks a reload as a
//     restore, after which we may still name the slot (the slot keeps the value; and where a
//     jump table could land, paths that did not reload are assumed);
//   * a register we say is in place: CFI says so too, or, after we saw it reloaded from its
//     slot, CFI still names that slot (clang marks no restores);
//   * 'undefined' (clobbered without a save we could see) claims nothing: counted, not compared.
// Where CFI is asynchronous (GCC: glibc and musl programs; clang on x86-64) every
// instruction boundary is checked. clang 14 on aarch64 and RISC-V emits synchronous CFI
// only: the prologue's notes come in one batch after it, the epilogue has none. There, only
// the pcs where a CFI row starts and the call sites are checked (the rest are counted).
// FDEs that do not describe their own function from its entry are left out, with a count:
// `.cold` fragments (first row not the entry row), outermost frames (return address
// undefined: _start), FDEs saving registers at or above the CFA (__longjmp's jmp_buf, the
// lazy-binding resolver's PLT frame), and single-row FDEs of code that moves sp (glibc's
// x86-64 __mpn_addmul_1/__mpn_submul_1 push without CFI notes) at the pcs where it has moved.

import test from 'ava';
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { readElf, type ElfFile } from '../../src/loader/elf.js';
import { CallFrameInfo } from '../../src/unwind/cfi.js';
import { analyzeFunction, analyzePrologue, type PrologueArch } from '../../src/unwind/prologue.js';
import { ROOT } from '../helpers/cli.js';
import { archOf, bytes, codeOf, le16, le32, show } from '../helpers/code.js';

const ARCH_INFO: Record<PrologueArch, { sp: number; fp: number; ra: number; saved: number[]; entrySp: bigint }> = {
  'x86-64': { sp: 7, fp: 6, ra: 16, saved: [3, 6, 12, 13, 14, 15, 16], entrySp: 8n },
  aarch64: { sp: 31, fp: 29, ra: 30, saved: [19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30], entrySp: 0n },
  rv32: { sp: 2, fp: 8, ra: 1, saved: [1, 8, 9, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27], entrySp: 0n },
  rv64: { sp: 2, fp: 8, ra: 1, saved: [1, 8, 9, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27], entrySp: 0n },
};

const hex = (v: bigint) => '0x' + v.toString(16);

// ---------------------------------------------------------------------------------------
// Against CFI.

interface Tally {
  functions: number;
  skipped: Record<string, number>;
  prologue: { pcs: number; analysed: number; checked: number };
  body: { pcs: number; analysed: number; checked: number };
  lagging: number;
  restored: number;
  undefinedRules: number;
  uncheckableCfa: number;
  disagreements: string[];
}

const newTally = (): Tally => ({
  functions: 0,
  skipped: {},
  prologue: { pcs: 0, analysed: 0, checked: 0 },
  body: { pcs: 0, analysed: 0, checked: 0 },
  lagging: 0,
  restored: 0,
  undefinedRules: 0,
  uncheckableCfa: 0,
  disagreements: [],
});

/**
 * Compare every function of `elf` that has an FDE. `seen` drops functions already compared
 * (the same libc function in several static programs). `asyncCfi`: CFI is exact at every instruction.
 */
function compareElf(elf: ElfFile, arch: PrologueArch, asyncCfi: boolean, seen: Set<string>, key: (name: string, code: Uint8Array) => string, t: Tally): void {
  const info = ARCH_INFO[arch];
  const cfi = CallFrameInfo.fromElf(elf);
  const skip = (why: string) => (t.skipped[why] = (t.skipped[why] ?? 0) + 1);
  for (const sym of elf.symbols) {
    if (sym.kind !== 'func' || sym.size === 0n) continue;
    const first = cfi.rowAt(sym.value);
    if (!first || first.fdeStart !== sym.value) continue;
    const end = sym.value + sym.size < first.fdeEnd ? sym.value + sym.size : first.fdeEnd;
    const code = codeOf(elf, sym.value, end - sym.value);
    if (!code) continue;
    const k = key(sym.name, code);
    if (seen.has(k)) continue;
    seen.add(k);
    const entryRow =
      first.cfa.kind === 'reg' && first.cfa.reg === info.sp && first.cfa.offset === info.entrySp &&
      [...first.regs].every(([r, x]) => x.kind !== 'offset' || (arch === 'x86-64' && r === info.ra));
    if (!entryRow) { skip('not entered at its start (.cold fragment)'); continue; }
    const an = analyzeFunction(arch, code, sym.value);
    const rows = an.insns.map((i) => cfi.rowAt(i.addr));
    if (rows.some((r) => r?.regs.get(info.ra)?.kind === 'undefined')) { skip('outermost frame (return address undefined)'); continue; }
    const foreign = rows.some((r) => r && info.saved.some((reg) => {
      const x = r.regs.get(reg);
      return (x?.kind === 'offset' && x.offset >= 0n) || (reg === info.ra && x !== undefined && x.kind !== 'offset' && x.kind !== 'same');
    }));
    if (foreign) { skip('CFI describes another frame (jmp_buf, PLT)'); continue; }
    const singleRow = rows.every((r) => !r || r.rowStart === sym.value);
    // Every slot CFI ever gives each register, for the lag tolerance.
    const slots = new Map<number, Set<bigint>>();
    for (const r of rows) for (const [reg, x] of r?.regs ?? []) if (x.kind === 'offset') (slots.get(reg) ?? slots.set(reg, new Set()).get(reg)!).add(x.offset);
    t.functions++;
    let inPrologue = true;
    an.insns.forEach((insn, idx) => {
      const where = inPrologue ? t.prologue : t.body;
      if (insn.flow !== 'next' || insn.unknown) inPrologue = false;
      const real = rows[idx];
      if (!real || real.cfa.kind !== 'reg') return;
      const ours = an.rowAt(insn.addr);
      const st = an.stateAt(insn.addr);
      if (singleRow && st && st.sp !== null && -st.sp !== info.entrySp) { skip('pcs where sp moved under a single-row FDE'); return; }
      where.pcs++;
      if (!ours || !st) return;
      where.analysed++;
      const strict = asyncCfi || insn.flow === 'call' || real.rowStart === insn.addr;
      if (!strict) return;
      where.checked++;
      const at = `${path.relative(ROOT, elf.path)} ${sym.name}+${insn.addr - sym.value} (${hex(insn.addr)})`;
      const problems: string[] = [];
      // CFA.
      const k = real.cfa.offset;
      if (real.cfa.reg === info.sp) {
        if (st.sp === null) t.uncheckableCfa++;
        else if (-st.sp !== k) problems.push(`CFA is sp+${-st.sp}, CFI says sp+${k}`);
      } else if (real.cfa.reg === info.fp) {
        if (st.fp === null) t.uncheckableCfa++;
        else if (-st.fp !== k) problems.push(`CFA is fp+${-st.fp}, CFI says fp+${k}`);
      } else t.uncheckableCfa++;
      // Saved registers and the return address.
      for (const reg of info.saved) {
        const o = ours.regs.get(reg);
        const c = real.regs.get(reg);
        const cSlot = c?.kind === 'offset' ? c.offset : null;
        const cInPlace = !c || c.kind === 'same';
        if (!o) {
          if (cInPlace) continue;
          if (cSlot !== null && st.inPlace.has(reg) && st.slots.get(reg) === cSlot) { t.restored++; continue; }
          problems.push(`r${reg}: in place, CFI says ${c!.kind} ${cSlot ?? ''}`);
        } else if (o.kind === 'offset') {
          if (cSlot === o.offset) continue;
          if (cInPlace && slots.get(reg)?.has(o.offset)) { t.lagging++; continue; }
          problems.push(`r${reg}: at CFA${o.offset}, CFI says ${c ? `${c.kind} ${cSlot ?? ''}` : 'in place'}`);
        } else if (o.kind === 'undefined') {
          t.undefinedRules++;
        } else if (!(o.kind === 'register' && c?.kind === 'register' && c.reg === o.reg)) {
          problems.push(`r${reg}: ${o.kind}, CFI says ${c ? c.kind : 'in place'}`);
        }
      }
      if (problems.length) t.disagreements.push(`${at}: ${problems.join('; ')}`);
    });
  }
}

const listElfs = (dir: string, pred: (f: string) => boolean = () => true): string[] => {
  const abs = path.join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs).filter((f) => f.endsWith('.elf') && pred(f)).sort().map((f) => path.join(abs, f));
};

interface Corpus {
  name: string;
  arch: PrologueArch;
  files: string[];
  asyncCfi: boolean;
  /** Same-name functions of the same size are one function (static libc copies in many programs). */
  byName: boolean;
  /** Minimum share of prologue pcs analysed (non-null). */
  minPrologue: number;
  minFunctions: number;
}

const FREESTANDING: PrologueArch[] = ['aarch64', 'x86-64', 'rv32', 'rv64'];
const corpora: Corpus[] = [
  ...FREESTANDING.map((arch): Corpus => ({
    name: 'freestanding clang guests',
    arch,
    files: [...listElfs(`guests/build/${arch}`), ...listElfs(`guests/build/${arch}/variants`)],
    asyncCfi: arch === 'x86-64',
    byName: false,
    minPrologue: 0.95,
    minFunctions: 50,
  })),
  ...(['rv64', 'aarch64', 'x86-64'] as PrologueArch[]).map((arch): Corpus => ({
    name: 'static glibc guests',
    arch,
    files: listElfs(`guests/linux/build/${arch}`, (f) => !f.endsWith('-musl.elf')),
    asyncCfi: true,
    byName: true,
    minPrologue: 0.95,
    minFunctions: 250,
  })),
  {
    name: 'static musl guests (program code)',
    arch: 'x86-64',
    files: listElfs('guests/linux/build/x86-64', (f) => f.endsWith('-musl.elf')),
    asyncCfi: true,
    byName: true,
    minPrologue: 0.95,
    minFunctions: 5,
  },
];

const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : '-');

for (const c of corpora) {
  test(`${c.arch}: ${c.name}: prologue rows agree with CFI`, async (t) => {
    t.true(c.files.length > 0, 'no ELFs found');
    const tally = newTally();
    const seen = new Set<string>();
    const key = c.byName ? (name: string, code: Uint8Array) => `${name}:${code.length}` : (name: string, code: Uint8Array) => `${name}:${Buffer.from(code).toString('hex')}`;
    for (const f of c.files) {
      const elf = await readElf(f);
      t.is(archOf(elf), c.arch, f);
      compareElf(elf, c.arch, c.asyncCfi, seen, key, tally);
    }
    const p = tally.prologue;
    const b = tally.body;
    t.log(
      `${c.files.length} ELFs, ${tally.functions} functions with an FDE; prologue pcs: ${p.analysed}/${p.pcs} analysed (${pct(p.analysed, p.pcs)}), ` +
        `${p.checked} checked; later pcs: ${b.analysed}/${b.pcs} analysed (${pct(b.analysed, b.pcs)}), ${b.checked} checked`,
    );
    t.log(
      `tolerated: ${tally.lagging} slots CFI names only at other pcs, ${tally.restored} reloaded registers CFI still puts in their slot; ` +
        `${tally.undefinedRules} 'undefined' rules, ${tally.uncheckableCfa} CFAs not checkable; skipped: ${JSON.stringify(tally.skipped)}`,
    );
    t.deepEqual(tally.disagreements.slice(0, 20), [], `${tally.disagreements.length} disagreements`);
    t.true(tally.functions >= c.minFunctions, `only ${tally.functions} functions compared`);
    t.true(p.analysed >= c.minPrologue * p.pcs, `prologue coverage ${pct(p.analysed, p.pcs)} < ${c.minPrologue * 100}%`);
    t.true(p.checked + b.checked > 0);
  });
}

// ---------------------------------------------------------------------------------------
// The functions without CFI that motivated the analysis.

async function functionCode(rel: string, name: string): Promise<{ arch: PrologueArch; start: bigint; code: Uint8Array; elf: ElfFile }> {
  const elf = await readElf(path.join(ROOT, rel));
  const sym = elf.symbols.find((s) => s.name === name && s.kind === 'func');
  if (!sym) throw new Error(`${rel}: no ${name}`);
  const code = codeOf(elf, sym.value, sym.size);
  if (!code) throw new Error(`${rel}: ${name} is not in a loaded segment`);
  return { arch: archOf(elf), start: sym.value, code, elf };
}

test('rv64 glibc abort (no FDE): its prologue, and the frame at the call to raise (pc 0x104bf)', async (t) => {
  const { arch, start, code, elf } = await functionCode('guests/linux/build/rv64/abort.elf', 'abort');
  t.is(start, 0x10420n);
  t.is(CallFrameInfo.fromElf(elf).rowAt(0x104bfn), null, 'abort has CFI now: the test lost its point');
  // add sp,sp,-192; sd s0,176(sp); add s0,gp,472; ld a5,8(s0); auipc; ld; sd s1,168(sp); sd s2,160(sp); sd ra,184(sp); ...
  const expect: [number, string][] = [
    [0x10420, 'CFA=r2+0'],
    [0x10422, 'CFA=r2+192'],
    [0x10424, 'CFA=r2+192 r8=c-16'],
    [0x10432, 'CFA=r2+192 r8=c-16'],
    [0x10434, 'CFA=r2+192 r8=c-16 r9=c-24'],
    [0x10436, 'CFA=r2+192 r8=c-16 r9=c-24 r18=c-32'],
    [0x10438, 'CFA=r2+192 r1=c-8 r8=c-16 r9=c-24 r18=c-32'],
    [0x10444, 'CFA=r2+192 r1=c-8 r8=c-16 r9=c-24 r18=c-32'], // the first branch
    [0x104bf, 'CFA=r2+192 r1=c-8 r8=c-16 r9=c-24 r18=c-32'], // jal raise at 0x104bc, return address 0x104c0
  ];
  for (const [pc, want] of expect) {
    const row = analyzePrologue(arch, code, start, BigInt(pc));
    t.is(show(row), want, hex(BigInt(pc)));
    t.is(row?.section, 'prologue');
    t.is(row?.returnColumn, 1);
  }
  // Code up to the instruction containing pc is enough.
  t.is(show(analyzePrologue(arch, code.subarray(0, 0x104c0 - 0x10420), start, 0x104bfn)), expect.at(-1)![1]);
  t.is(show(analyzePrologue(arch, code.subarray(0, 0x10436 - 0x10420), start, 0x10436n)), 'CFA=r2+192 r8=c-16 r9=c-24 r18=c-32');
  t.is(analyzePrologue(arch, code.subarray(0, 0x104bc - 0x10420), start, 0x104bfn), null, 'the instruction containing pc is cut off');
});

test('musl x86-64 raise and abort (no CFI at all): rows at the return addresses abort() leaves on the stack', async (t) => {
  const raise = await functionCode('guests/linux/build/x86-64/abort-musl.elf', 'raise');
  const abort = await functionCode('guests/linux/build/x86-64/abort-musl.elf', 'abort');
  t.is(CallFrameInfo.fromElf(raise.elf).rowAt(raise.start), null);
  // raise: push rbp; push rbx; mov ebx,edi; sub rsp,0x98; ...; call __block_app_sigs; ...; syscall;
  // call __syscall_ret; ...; call __restore_sigs (return address raise+0x53 = 0x401653).
  const frame = 'CFA=r7+176 r3=c-24 r6=c-16 r16=c-8';
  for (const pc of [0x401628n, 0x40163en, 0x401647n, 0x401652n]) t.is(show(analyzePrologue('x86-64', raise.code, raise.start, pc)), frame, hex(pc));
  t.is(show(analyzePrologue('x86-64', raise.code, raise.start, 0x401600n)), 'CFA=r7+8 r16=c-8');
  t.is(show(analyzePrologue('x86-64', raise.code, raise.start, 0x401601n)), 'CFA=r7+16 r6=c-16 r16=c-8');
  t.is(show(analyzePrologue('x86-64', raise.code, raise.start, 0x401602n)), 'CFA=r7+24 r3=c-24 r6=c-16 r16=c-8');
  // The epilogue: add rsp,0x98; mov eax,ebx; pop rbx; pop rbp; ret.
  t.is(show(analyzePrologue('x86-64', raise.code, raise.start, 0x40166dn)), 'CFA=r7+24 r3=c-24 r6=c-16 r16=c-8');
  t.is(show(analyzePrologue('x86-64', raise.code, raise.start, 0x401670n)), 'CFA=r7+16 r6=c-16 r16=c-8');
  t.is(show(analyzePrologue('x86-64', raise.code, raise.start, 0x401671n)), 'CFA=r7+8 r16=c-8');
  // abort: sub rsp,0x48; ...; call raise (return address 0x4014be).
  t.is(show(analyzePrologue('x86-64', abort.code, abort.start, 0x4014bdn)), 'CFA=r7+80 r16=c-8');
  t.is(show(analyzePrologue('x86-64', abort.code, abort.start, 0x4014c4n)), 'CFA=r7+80 r16=c-8');
});

// ---------------------------------------------------------------------------------------
// Hand-built code.

/** The row at each offset, as text. */
function rowsAt(arch: PrologueArch, code: Uint8Array, offsets: number[], start = 0x1000n): string[] {
  return offsets.map((o) => `+${o} ${show(analyzePrologue(arch, code, start, start + BigInt(o)))}`);
}

test('x86-64: endbr64, push, mov rbp,rsp, REX pushes, sub/lea rsp, a mov save, a call', (t) => {
  const code = bytes(
    [0xf3, 0x0f, 0x1e, 0xfa], // +0 endbr64
    [0x55], // +4 push rbp
    [0x48, 0x89, 0xe5], // +5 mov rbp,rsp
    [0x41, 0x57], // +8 push r15
    [0x41, 0x56], // +10 push r14
    [0x53], // +12 push rbx
    [0x48, 0x83, 0xec, 0x28], // +13 sub rsp,0x28
    [0x48, 0x8d, 0x64, 0x24, 0xf0], // +17 lea rsp,[rsp-0x10]
    [0x48, 0x81, 0xec, 0x00, 0x10, 0x00, 0x00], // +22 sub rsp,0x1000
    [0x4c, 0x89, 0x64, 0x24, 0x08], // +29 mov [rsp+8],r12
    [0x31, 0xc0], // +34 xor eax,eax
    [0x48, 0x89, 0xfb], // +36 mov rbx,rdi
    [0xe8, 0, 0, 0, 0], // +39 call
    [0x4c, 0x89, 0xe0], // +44 mov rax,r12
  );
  t.deepEqual(rowsAt('x86-64', code, [0, 4, 5, 8, 10, 12, 13, 17, 22, 29, 34, 39, 43, 44]), [
    '+0 CFA=r7+8 r16=c-8',
    '+4 CFA=r7+8 r16=c-8',
    '+5 CFA=r7+16 r6=c-16 r16=c-8',
    '+8 CFA=r7+16 r6=c-16 r16=c-8',
    '+10 CFA=r7+24 r6=c-16 r15=c-24 r16=c-8',
    '+12 CFA=r7+32 r6=c-16 r14=c-32 r15=c-24 r16=c-8',
    '+13 CFA=r7+40 r3=c-40 r6=c-16 r14=c-32 r15=c-24 r16=c-8',
    '+17 CFA=r7+80 r3=c-40 r6=c-16 r14=c-32 r15=c-24 r16=c-8',
    '+22 CFA=r7+96 r3=c-40 r6=c-16 r14=c-32 r15=c-24 r16=c-8',
    '+29 CFA=r7+4192 r3=c-40 r6=c-16 r14=c-32 r15=c-24 r16=c-8',
    '+34 CFA=r7+4192 r3=c-40 r6=c-16 r12=c-4184 r14=c-32 r15=c-24 r16=c-8',
    '+39 CFA=r7+4192 r3=c-40 r6=c-16 r12=c-4184 r14=c-32 r15=c-24 r16=c-8',
    '+43 CFA=r7+4192 r3=c-40 r6=c-16 r12=c-4184 r14=c-32 r15=c-24 r16=c-8', // return address - 1
    '+44 CFA=r7+4192 r3=c-40 r6=c-16 r12=c-4184 r14=c-32 r15=c-24 r16=c-8',
  ]);
  // rbp tracked as a frame pointer: sp unknown after `and rsp,-16`, so the CFA goes through rbp.
  const aligned = bytes([0x55], [0x48, 0x89, 0xe5], [0x48, 0x83, 0xe4, 0xf0], [0x90]);
  t.is(show(analyzePrologue('x86-64', aligned, 0x1000n, 0x1008n)), 'CFA=r6+16 r6=c-16 r16=c-8');
  // leave; ret
  const leave = bytes([0x55], [0x48, 0x89, 0xe5], [0x48, 0x83, 0xe4, 0xf0], [0xc9], [0xc3]);
  t.is(show(analyzePrologue('x86-64', leave, 0x1000n, 0x1009n)), 'CFA=r7+8 r16=c-8');
});

test('aarch64: paciasp, stp pre-index, mov x29,sp, stp/str saves, sub sp (lsl 12), bl', (t) => {
  const code = bytes(le32(
    0xd503233f, // +0 paciasp
    0xa9bd7bfd, // +4 stp x29, x30, [sp, #-48]!
    0x910003fd, // +8 mov x29, sp
    0xa90153f3, // +12 stp x19, x20, [sp, #16]
    0xf90013f5, // +16 str x21, [sp, #32]
    0xd10043ff, // +20 sub sp, sp, #16
    0xd14007ff, // +24 sub sp, sp, #1, lsl #12
    0x6d0127e8, // +28 stp d8, d9, [sp, #16]
    0xd53bd053, // +32 mrs x19, tpidr_el0
    0x94000000, // +36 bl .
    0xd503201f, // +40 nop
  ));
  t.deepEqual(rowsAt('aarch64', code, [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 39, 40]), [
    '+0 CFA=r31+0',
    '+4 CFA=r31+0 signed',
    '+8 CFA=r31+48 r29=c-48 r30=c-40 signed',
    '+12 CFA=r31+48 r29=c-48 r30=c-40 signed',
    '+16 CFA=r31+48 r19=c-32 r20=c-24 r29=c-48 r30=c-40 signed',
    '+20 CFA=r31+48 r19=c-32 r20=c-24 r21=c-16 r29=c-48 r30=c-40 signed',
    '+24 CFA=r31+64 r19=c-32 r20=c-24 r21=c-16 r29=c-48 r30=c-40 signed',
    '+28 CFA=r31+4160 r19=c-32 r20=c-24 r21=c-16 r29=c-48 r30=c-40 signed',
    '+32 CFA=r31+4160 r19=c-32 r20=c-24 r21=c-16 r29=c-48 r30=c-40 signed',
    '+36 CFA=r31+4160 r19=c-32 r20=c-24 r21=c-16 r29=c-48 r30=c-40 signed',
    '+39 CFA=r31+4160 r19=c-32 r20=c-24 r21=c-16 r29=c-48 r30=c-40 signed',
    '+40 CFA=r31+4160 r19=c-32 r20=c-24 r21=c-16 r29=c-48 r30=c-40 signed',
  ]);
  // add x29, sp, #16 after sub sp / stp at an offset (clang's shape); then the epilogue.
  const clang = bytes(le32(
    0xd10083ff, // +0 sub sp, sp, #32
    0xa9017bfd, // +4 stp x29, x30, [sp, #16]
    0x910043fd, // +8 add x29, sp, #16
    0xa9417bfd, // +12 ldp x29, x30, [sp, #16]
    0x910083ff, // +16 add sp, sp, #32
    0xd65f03c0, // +20 ret
  ));
  t.deepEqual(rowsAt('aarch64', clang, [0, 4, 8, 12, 16, 20]), [
    '+0 CFA=r31+0',
    '+4 CFA=r31+32',
    '+8 CFA=r31+32 r29=c-16 r30=c-8',
    '+12 CFA=r31+32 r29=c-16 r30=c-8',
    '+16 CFA=r31+32 r29=c-16 r30=c-8', // reloaded, slots still above sp
    '+20 CFA=r31+0', // slots popped: the registers hold the values
  ]);
  t.deepEqual(analyzeFunction('aarch64', clang, 0x1000n).stateAt(0x100cn), {
    sp: -32n,
    fp: -16n,
    inPlace: new Set([19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 30]), // x29 holds CFA-16 now
    slots: new Map([[29, -16n], [30, -8n]]),
  });
});

test('RISC-V: compressed and full saves, addi s0, a large frame (lui + sub), rv32 and rv64', (t) => {
  const rv32 = bytes(
    le16(0x7139), // +0 c.addi16sp sp, -64
    le16(0xde06), // +2 c.swsp ra, 60(sp)
    le16(0xdc22), // +4 c.swsp s0, 56(sp)
    le32(0x02912a23), // +6 sw s1, 52(sp)
    le32(0x04010413), // +10 addi s0, sp, 64
    le32(0x000012b7), // +14 lui t0, 1
    le32(0x40510133), // +18 sub sp, sp, t0
    le16(0x0001), // +22 c.nop
  );
  t.deepEqual(rowsAt('rv32', rv32, [0, 2, 4, 6, 10, 14, 18, 22]), [
    '+0 CFA=r2+0',
    '+2 CFA=r2+64',
    '+4 CFA=r2+64 r1=c-4',
    '+6 CFA=r2+64 r1=c-4 r8=c-8',
    '+10 CFA=r2+64 r1=c-4 r8=c-8 r9=c-12',
    '+14 CFA=r2+64 r1=c-4 r8=c-8 r9=c-12',
    '+18 CFA=r2+64 r1=c-4 r8=c-8 r9=c-12',
    '+22 CFA=r2+4160 r1=c-4 r8=c-8 r9=c-12',
  ]);
  t.deepEqual(analyzeFunction('rv32', rv32, 0x1000n).stateAt(0x1016n)?.fp, 0n);
  // rv64: c.addi sp,-16; c.sdsp ra,8(sp); c.sdsp s0,0(sp); c.addi4spn irrelevant; li t0,-4096; add sp,sp,t0
  const rv64 = bytes(
    le16(0x1141), // +0 c.addi sp, -16
    le16(0xe406), // +2 c.sdsp ra, 8(sp)
    le16(0xe022), // +4 c.sdsp s0, 0(sp)
    le16(0x0028), // +6 c.addi4spn a0, sp, 8
    le32(0x800002b7), // +8 lui t0, 0x80000 (= -2^31, sign-extended)
    le32(0x0002829b), // +12 addiw t0, t0, 0
    le32(0xfff00293), // +16 li t0, -1 ... (addi t0, zero, -1)
    le32(0x00510133), // +20 add sp, sp, t0
    le32(0x00008067), // +24 ret
  );
  t.deepEqual(rowsAt('rv64', rv64, [0, 2, 4, 6, 8, 20, 24]), [
    '+0 CFA=r2+0',
    '+2 CFA=r2+16',
    '+4 CFA=r2+16 r1=c-8',
    '+6 CFA=r2+16 r1=c-8 r8=c-16',
    '+8 CFA=r2+16 r1=c-8 r8=c-16',
    '+20 CFA=r2+16 r1=c-8 r8=c-16',
    '+24 CFA=r2+17 r1=c-8 r8=c-16',
  ]);
});

// ---------------------------------------------------------------------------------------
// When the answer is null (or less than everything).

test('null when an instruction before pc is not understood, even if it is harmless-looking', (t) => {
  // x86-64: push rbp; <0x06: invalid in 64-bit mode>; ...: decoding stops there.
  const bad = bytes([0x55], [0x06], [0x90]);
  t.is(show(analyzePrologue('x86-64', bad, 0x1000n, 0x1001n)), 'CFA=r7+16 r6=c-16 r16=c-8'); // pc at the unknown instruction: still fine
  t.is(analyzePrologue('x86-64', bad, 0x1000n, 0x1002n), null);
  // x86-64: push rbx; and rsp,-16 (sp no longer known, no frame pointer).
  t.is(analyzePrologue('x86-64', bytes([0x53], [0x48, 0x83, 0xe4, 0xf0], [0x90]), 0x1000n, 0x1005n), null);
  // x86-64: sub esp, 8 (32-bit write to rsp).
  t.is(analyzePrologue('x86-64', bytes([0x83, 0xec, 0x08], [0x90]), 0x1000n, 0x1003n), null);
  // aarch64: SVE addvl sp, sp, #-1.
  t.is(analyzePrologue('aarch64', bytes(le32(0x043f57ff, 0xd503201f)), 0x1000n, 0x1004n), null);
  // aarch64: sub sp, sp, x9 (x9 unknown).
  t.is(analyzePrologue('aarch64', bytes(le32(0xcb2963ff, 0xd503201f)), 0x1000n, 0x1004n), null);
  // RISC-V: jal t0, __riscv_save_0 (millicode saves registers and moves sp).
  t.is(analyzePrologue('rv64', bytes(le32(0x000002ef), le16(0x0001)), 0x1000n, 0x1004n), null);
  // RISC-V: andi sp, sp, -16.
  t.is(analyzePrologue('rv64', bytes(le32(0xff017113), le16(0x0001)), 0x1000n, 0x1004n), null);
});

test('a callee-saved register overwritten without a save it can see is undefined; a lost return address is null', (t) => {
  // aarch64: mrs x19, tpidr_el0 (x19 not saved).
  t.is(show(analyzePrologue('aarch64', bytes(le32(0xd53bd053, 0xd503201f)), 0x1000n, 0x1004n)), 'CFA=r31+0 r19=undefined');
  // aarch64: bl without saving x30 first: the return address is gone.
  t.is(analyzePrologue('aarch64', bytes(le32(0x94000000, 0xd503201f)), 0x1000n, 0x1004n), null);
  // aarch64: mov x19, x30 then bl: the return address is in x19 (whose own value is lost).
  t.is(show(analyzePrologue('aarch64', bytes(le32(0xaa1e03f3, 0x94000000, 0xd503201f)), 0x1000n, 0x1008n)), 'CFA=r31+0 r19=undefined r30=r19');
  // x86-64: cpuid clobbers rbx.
  t.is(show(analyzePrologue('x86-64', bytes([0x0f, 0xa2], [0x90]), 0x1000n, 0x1002n)), 'CFA=r7+8 r3=undefined r16=c-8');
});

test('past a branch: a row only where every path agrees', (t) => {
  // rv64: c.beqz a0, L (+6); c.addi sp,sp,-16; c.sdsp ra,8(sp); L: c.nop  -> sp differs at L.
  const shrink = bytes(le16(0xc119), le16(0x1141), le16(0xe406), le16(0x0001), le16(0x0001));
  t.is(analyzePrologue('rv64', shrink, 0x1000n, 0x1006n), null, 'join of sp+0 and sp+16');
  t.is(show(analyzePrologue('rv64', shrink, 0x1000n, 0x1004n)), 'CFA=r2+16');
  // The frame first, then the branch: the paths agree at the join.
  const agree = bytes(le16(0x1141), le16(0xe406), le16(0xc119), le16(0x0001), le16(0x0001), le16(0x0001), le16(0x0001));
  t.is(show(analyzePrologue('rv64', agree, 0x1000n, 0x100an)), 'CFA=r2+16 r1=c-8');
  // Code after a return is reached by nothing: null.
  const afterRet = bytes(le32(0x00008067), le16(0x1141), le16(0x0001));
  t.is(analyzePrologue('rv64', afterRet, 0x1000n, 0x1004n), null);
  // x86-64: push rbp; jmp rax (a jump table); pop rbp; ret; sub rsp,8; call; nop.
  // +3 and +5 are reached only through the table: they get its state. +14 follows a call
  // that may not return, so the table may land there too: sp+24 or sp+16, null.
  const table = bytes([0x55], [0xff, 0xe0], [0x5d], [0xc3], [0x48, 0x83, 0xec, 0x08], [0xe8, 0, 0, 0, 0], [0x90]);
  t.is(show(analyzePrologue('x86-64', table, 0x1000n, 0x1003n)), 'CFA=r7+16 r6=c-16 r16=c-8');
  t.is(show(analyzePrologue('x86-64', table, 0x1000n, 0x1005n)), 'CFA=r7+16 r6=c-16 r16=c-8');
  t.is(show(analyzePrologue('x86-64', table, 0x1000n, 0x1009n)), 'CFA=r7+24 r6=c-16 r16=c-8');
  t.is(analyzePrologue('x86-64', table, 0x1000n, 0x100en), null, 'after the call: its return or the jump table, sp differs');
  // Without the call, +9 is entered by a plain fall-through, and that decides (one state per pc).
  const table2 = bytes([0x55], [0xff, 0xe0], [0x5d], [0xc3], [0x48, 0x83, 0xec, 0x08], [0x90]);
  t.is(show(analyzePrologue('x86-64', table2, 0x1000n, 0x1009n)), 'CFA=r7+24 r6=c-16 r16=c-8');
  // A branch into the middle of an instruction: nothing is trusted.
  const overlap = bytes([0xeb, 0x01], [0x48, 0x89, 0xe5], [0x90]);
  t.is(analyzePrologue('x86-64', overlap, 0x1000n, 0x1000n), null);
});

test('pc outside the decoded code, or before the function, gives null', (t) => {
  const code = bytes([0x55], [0x90]);
  t.is(analyzePrologue('x86-64', code, 0x1000n, 0x0fffn), null);
  t.is(analyzePrologue('x86-64', code, 0x1000n, 0x1003n), null);
  t.is(show(analyzePrologue('x86-64', code, 0x1000n, 0x1002n)), 'CFA=r7+16 r6=c-16 r16=c-8', 'pc at the end of the code: the state there is known');
  t.is(show(analyzePrologue('x86-64', new Uint8Array(0), 0x1000n, 0x1000n)), 'CFA=r7+8 r16=c-8', 'pc at the entry needs no code');
});
