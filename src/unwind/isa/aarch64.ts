// AArch64 instruction decoding for the prologue analysis (../prologue.ts): only what a
// frame needs, everything else as 'not understood'. See ../prologue.ts for the model.

import { HAVOC, T1, T2, ZR, mk, nop, regE, set, sx, unk, type Addr, type Flow, type Insn, type Op } from './insn.js';

// ---------------------------------------------------------------------------------------
// AArch64 (A64).

/** DecodeBitMasks for a logical immediate (Arm ARM, shared pseudocode); null when reserved. */
function bitMask(n: number, immr: number, imms: number, regSize: number): bigint | null {
  const combined = (n << 6) | (~imms & 0x3f);
  if (combined === 0) return null;
  const len = 31 - Math.clz32(combined);
  if (len < 1) return null;
  const levels = (1 << len) - 1;
  const s = imms & levels;
  const r = immr & levels;
  if (s === levels) return null;
  const esize = 1 << len;
  if (esize > regSize) return null;
  const emask = (1n << BigInt(esize)) - 1n;
  let elem = (1n << BigInt(s + 1)) - 1n;
  if (r) elem = ((elem >> BigInt(r)) | (elem << BigInt(esize - r))) & emask;
  let out = 0n;
  for (let k = 0; k < regSize; k += esize) out |= elem << BigInt(k);
  return out;
}

export function decodeA64(code: Uint8Array, at: number, addr: bigint): Insn | null {
  if (at + 4 > code.length) return null;
  const i = (code[at]! | (code[at + 1]! << 8) | (code[at + 2]! << 16) | (code[at + 3]! << 24)) >>> 0;
  const is = (mask: number, value: number) => ((i & mask) >>> 0) === value;
  const ins = (ops: Op[], flow: Flow = 'next', target?: bigint) => mk(addr, 4, ops, flow, target);
  const tgt = (off: number) => (addr + BigInt(off)) & 0xffff_ffff_ffff_ffffn;
  const SP = 31;
  const rd = i & 31;
  const rn = (i >>> 5) & 31;
  const rm = (i >>> 16) & 31;
  const sf = i >>> 31;
  const Z = (r: number) => (r === 31 ? ZR : r); // register 31 as XZR
  const ext = sf ? undefined : ('z' as const);

  // Hints, barriers, system registers.
  if (is(0xfffff01f, 0xd503201f)) {
    const n = (i >>> 5) & 0x7f;
    if (n === 0) return nop(ins([]));
    if ([1, 2, 3, 4, 5, 6, 16, 17, 18, 20, 32, 34, 36, 38].includes(n)) return ins([]); // yield, wfe, ..., csdb, bti
    if (n === 24 || n === 25 || n === 26 || n === 27) return ins([{ o: 'pac', sign: true }]); // paciaz/paciasp/pacibz/pacibsp
    if (n === 28 || n === 29 || n === 30 || n === 31) return ins([{ o: 'pac', sign: false }]); // autiaz/autiasp/autibz/autibsp
    if (n === 7) return ins(unk(30)); // xpaclri: x30 loses its signature (and, here, what we knew of it)
    if (n === 8 || n === 10 || n === 12 || n === 14) return ins(unk(17)); // pacia1716 ... autib1716
    return ins(HAVOC);
  }
  if (is(0xfffff01f, 0xd503301f)) return ins([]); // clrex, dsb, dmb, isb, sb
  if (is(0xfff00000, 0xd5300000)) return ins(unk(Z(rd))); // mrs
  if (is(0xfff00000, 0xd5100000)) return ins([]); // msr (register)
  if (is(0xfff80000, 0xd5080000)) return ins([]); // sys (dc zva, ic ivau, ...)
  if (is(0xffe0001f, 0xd4000001)) return ins(unk(0)); // svc
  if (is(0xffe0001f, 0xd4200000) || is(0xffe0001f, 0xd4400000)) return ins([]); // brk, hlt

  // Branches.
  if (is(0x7c000000, 0x14000000)) { // b, bl
    const off = sx(i & 0x3ffffff, 26) * 4;
    return sf ? ins([{ o: 'call' }], 'call', tgt(off)) : ins([], 'jump', tgt(off));
  }
  if (is(0xff000000, 0x54000000)) return ins([], 'branch', tgt(sx((i >>> 5) & 0x7ffff, 19) * 4)); // b.cond, bc.cond
  if (is(0x7e000000, 0x34000000)) return ins([], 'branch', tgt(sx((i >>> 5) & 0x7ffff, 19) * 4)); // cbz, cbnz
  if (is(0x7e000000, 0x36000000)) return ins([], 'branch', tgt(sx((i >>> 5) & 0x3fff, 14) * 4)); // tbz, tbnz
  if (is(0xfe000000, 0xd6000000)) { // branch (register)
    const opc = (i >>> 21) & 0xf;
    if (opc === 0 || opc === 8) return ins([], 'indirect'); // br, braa...
    if (opc === 1 || opc === 9) return ins([{ o: 'call' }], 'call'); // blr, blraa...
    if (opc === 2) return ins([], 'stop'); // ret, retaa, retab
    return ins(HAVOC, 'stop');
  }

  // Data processing: immediate.
  if (is(0x1f000000, 0x10000000)) { // adr, adrp
    const imm = (sx((i >>> 5) & 0x7ffff, 19) * 4) | ((i >>> 29) & 3);
    const v = sf ? ((addr & ~0xfffn) + (BigInt(imm) << 12n)) & 0xffff_ffff_ffff_ffffn : tgt(imm);
    return ins([set(Z(rd), { k: 'c', v })]);
  }
  if (is(0x1f800000, 0x11000000)) { // add/sub (immediate)
    const sub = (i >>> 30) & 1;
    const S = (i >>> 29) & 1;
    const imm = BigInt((i >>> 10) & 0xfff) << ((i >>> 22) & 1 ? 12n : 0n);
    const dst = S ? Z(rd) : rd; // 31 = sp unless flags are set
    return ins([set(dst, regE(rn, sub ? -imm : imm), ext)]);
  }
  if (is(0x1f800000, 0x12000000)) { // logical (immediate)
    const opc = (i >>> 29) & 3;
    const dst = opc === 3 ? Z(rd) : rd;
    if (opc === 1 && rn === 31) {
      const v = bitMask((i >>> 22) & 1, (i >>> 16) & 63, (i >>> 10) & 63, sf ? 64 : 32);
      if (v !== null) return ins([set(dst, { k: 'c', v })]);
    }
    return ins(unk(dst));
  }
  if (is(0x1f800000, 0x12800000)) { // move wide
    const opc = (i >>> 29) & 3;
    const shift = BigInt(((i >>> 21) & 3) * 16);
    if (!sf && shift >= 32n) return ins(HAVOC);
    const imm = BigInt((i >>> 5) & 0xffff) << shift;
    const width = sf ? 0xffff_ffff_ffff_ffffn : 0xffff_ffffn;
    if (opc === 2) return ins([set(Z(rd), { k: 'c', v: imm })]); // movz
    if (opc === 0) return ins([set(Z(rd), { k: 'c', v: ~imm & width })]); // movn
    if (opc === 3) return ins([set(Z(rd), { k: 'movk', r: Z(rd), imm, keep: ~(0xffffn << shift) & width })]); // movk
    return ins(HAVOC);
  }
  if (is(0x1f000000, 0x13000000)) return ins(unk(Z(rd))); // bitfield, extract

  // Data processing: register.
  if (is(0x0e000000, 0x0a000000)) {
    if (is(0x1f000000, 0x0a000000)) { // logical (shifted register)
      const opc = (i >>> 29) & 3;
      const n = (i >>> 21) & 1;
      const imm6 = (i >>> 10) & 63;
      if (opc === 1 && n === 0 && imm6 === 0 && rn === 31) return ins([set(Z(rd), regE(Z(rm)), ext)]); // mov
      return ins(unk(Z(rd)));
    }
    if (is(0x1f200000, 0x0b000000)) { // add/sub (shifted register)
      const shiftType = (i >>> 22) & 3;
      const imm6 = (i >>> 10) & 63;
      if (shiftType !== 0) return ins(unk(Z(rd)));
      return ins([set(Z(rd), { k: 'reg2', a: Z(rn), b: Z(rm), neg: ((i >>> 30) & 1) === 1, shift: imm6 }, ext)]);
    }
    if (is(0x1f200000, 0x0b200000)) { // add/sub (extended register): 31 is sp for rd (no flags) and rn
      const S = (i >>> 29) & 1;
      const option = (i >>> 13) & 7;
      const imm3 = (i >>> 10) & 7;
      const dst = S ? Z(rd) : rd;
      if (sf && (option === 3 || option === 7) && imm3 <= 4) {
        return ins([set(dst, { k: 'reg2', a: rn, b: Z(rm), neg: ((i >>> 30) & 1) === 1, shift: imm3 })]);
      }
      return ins(unk(dst));
    }
    return ins(unk(Z(rd))); // adc, csel, data-processing 1/2/3 source, ccmp (no rd: harmless over-approximation)
  }

  // SIMD and floating point data processing: writes a general register only in a few classes.
  if (is(0x0e000000, 0x0e000000)) {
    if (is(0x5f200000, 0x1e200000) && ((i >>> 10) & 0x3f) === 0) { // FP <-> integer conversion
      const opcode = (i >>> 16) & 7;
      return ins([0, 1, 4, 5, 6].includes(opcode) ? unk(Z(rd)) : []);
    }
    if (is(0x5f200000, 0x1e000000)) return ins(unk(Z(rd))); // FP <-> fixed-point (over-approximated)
    if (is(0x9fe08400, 0x0e000400)) { // AdvSIMD copy: umov / smov write a general register
      const imm4 = (i >>> 11) & 0xf;
      return ins(imm4 === 5 || imm4 === 7 ? unk(Z(rd)) : []);
    }
    return ins([]);
  }

  // Loads and stores.
  if (is(0x0a000000, 0x08000000)) return decodeA64Mem(i, ins, SP);

  return ins(HAVOC); // SVE, SME, reserved
}

function decodeA64Mem(i: number, ins: (ops: Op[], flow?: Flow, target?: bigint) => Insn, SP: number): Insn {
  const is = (mask: number, value: number) => ((i & mask) >>> 0) === value;
  const rt = i & 31;
  const rn = (i >>> 5) & 31; // base: 31 is sp
  const V = (i >>> 26) & 1;
  const Zt = (r: number) => (r === 31 ? ZR : r);
  // Load/store pair.
  if (is(0x38000000, 0x28000000)) {
    const opc = i >>> 30;
    const mode = (i >>> 23) & 3; // 0 no-allocate offset, 1 post-index, 2 offset, 3 pre-index
    const L = (i >>> 22) & 1;
    const rt2 = (i >>> 10) & 31;
    let size: number;
    if (V) size = opc === 0 ? 4 : opc === 1 ? 8 : opc === 2 ? 16 : 0;
    else size = opc === 0 ? 4 : opc === 2 ? 8 : opc === 1 && L ? 4 : 0; // ldpsw
    if (!size || (V === 0 && opc === 1 && mode === 0)) return ins(HAVOC);
    const off = BigInt(sx((i >>> 15) & 0x7f, 7) * size);
    const at = mode === 1 ? 0n : off;
    const ops: Op[] = [];
    const base = rn === 31 ? SP : rn;
    const a1: Addr = { base, off: at };
    const a2: Addr = { base, off: at + BigInt(size) };
    if (L === 0) {
      ops.push({ o: 'store', addr: a1, size, e: V ? { k: 'unk' } : regE(Zt(rt)) });
      ops.push({ o: 'store', addr: a2, size, e: V ? { k: 'unk' } : regE(Zt(rt2)) });
    } else if (!V) {
      const full = size === 8 && opc === 2;
      if ((mode === 1 || mode === 3) && (rt === base || rt2 === base)) return ins(HAVOC);
      // Both loads read memory before either register is written (through scratch pseudo registers).
      ops.push(
        set(T1, full ? { k: 'load', addr: a1, size } : { k: 'unk' }),
        set(T2, full ? { k: 'load', addr: a2, size } : { k: 'unk' }),
        set(Zt(rt), regE(T1)),
        set(Zt(rt2), regE(T2)),
        ...unk(T1, T2),
      );
    }
    if (mode === 1 || mode === 3) ops.push(set(base, regE(base, off)));
    return ins(ops);
  }
  // Load/store register: unsigned offset, imm9 forms, register offset, atomics, pac loads.
  if (is(0x3a000000, 0x38000000)) {
    const size = i >>> 30;
    const opc = (i >>> 22) & 3;
    const base = rn === 31 ? SP : rn;
    let bytes: number;
    let isLoad: boolean;
    if (V) {
      bytes = (opc & 2) ? (size === 0 ? 16 : 0) : 1 << size;
      isLoad = (opc & 1) === 1;
      if (!bytes) return ins(HAVOC);
    } else {
      bytes = 1 << size;
      if (opc === 0) isLoad = false;
      else if (opc === 1) isLoad = true;
      else if (size === 3 && opc === 2) return ins([]); // prfm / prfum
      else if (size === 3 || (size === 2 && opc === 3)) return ins(HAVOC);
      else isLoad = true; // sign-extending loads
    }
    const fullLoad = isLoad && !V && bytes === 8 && opc === 1;
    let addr: Addr;
    let wb: bigint | null = null;
    if (i & 0x01000000) { // unsigned immediate offset
      addr = { base, off: BigInt(((i >>> 10) & 0xfff) * bytes) };
    } else if (((i >>> 21) & 1) === 0) { // imm9: unscaled, post-index, unprivileged, pre-index
      const imm9 = BigInt(sx((i >>> 12) & 0x1ff, 9));
      const kind = (i >>> 10) & 3;
      addr = { base, off: kind === 1 ? 0n : imm9 };
      if (kind === 1 || kind === 3) wb = imm9;
    } else if (((i >>> 10) & 3) === 2) { // register offset
      addr = null;
    } else if (((i >>> 10) & 3) === 0 && !V) { // atomic memory operations (ldadd, swp, ...): rt gets the old value
      return ins([{ o: 'store', addr: { base, off: 0n }, size: bytes, e: { k: 'unk' } }, ...unk(Zt(rt))]);
    } else {
      return ins(HAVOC); // ldraa/ldrab and others
    }
    const ops: Op[] = [];
    if (isLoad) {
      if (!V) {
        if (wb !== null && rt === base) return ins(HAVOC);
        ops.push(set(Zt(rt), fullLoad ? { k: 'load', addr, size: 8 } : { k: 'unk' }));
      }
    } else {
      ops.push({ o: 'store', addr, size: bytes, e: V ? { k: 'unk' } : regE(Zt(rt)) });
    }
    if (wb !== null) ops.push(set(base, regE(base, wb)));
    return ins(ops);
  }
  // Load register (literal).
  if (is(0x3b000000, 0x18000000)) {
    const opc = i >>> 30;
    return ins(V || opc === 3 ? [] : unk(Zt(rt)));
  }
  // Load/store exclusive, load-acquire/store-release, compare-and-swap: registers read back are unknown.
  if (is(0x3f000000, 0x08000000)) {
    const rs = (i >>> 16) & 31;
    const rt2 = (i >>> 10) & 31;
    const base = rn === 31 ? SP : rn;
    return ins([{ o: 'store', addr: { base, off: 0n }, size: 16, e: { k: 'unk' } }, ...unk(Zt(rt), Zt(rs), Zt(rt2))]);
  }
  // AdvSIMD load/store multiple/single structures: vector registers; post-index updates the base.
  if (is(0xbe000000, 0x0c000000)) {
    if ((i >>> 23) & 1) return ins(unk(rn === 31 ? SP : rn));
    return ins([]);
  }
  return ins(HAVOC);
}
