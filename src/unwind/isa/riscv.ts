// RISC-V instruction decoding for the prologue analysis (../prologue.ts): only what a
// frame needs, everything else as 'not understood'. See ../prologue.ts for the model.

import { HAVOC, ZR, mk, nop, regE, set, sx, unk, type Flow, type Insn, type Op } from './insn.js';

// ---------------------------------------------------------------------------------------
// RISC-V (RV32/RV64 IMAFDC + Zicsr + Zifencei).

export function decodeRv(code: Uint8Array, at: number, addr: bigint, xlen: 32 | 64): Insn | null {
  if (at + 2 > code.length) return null;
  const h = code[at]! | (code[at + 1]! << 8);
  const mask = xlen === 64 ? 0xffff_ffff_ffff_ffffn : 0xffff_ffffn;
  const tgt = (off: number) => (addr + BigInt(off)) & mask;
  if ((h & 3) !== 3) return decodeRvc(h, addr, xlen, tgt);
  if ((h & 0x1c) === 0x1c) return null; // 48-bit and longer encodings
  if (at + 4 > code.length) return null;
  const i = (h | (code[at + 2]! << 16) | (code[at + 3]! << 24)) >>> 0;
  const ins = (ops: Op[], flow: Flow = 'next', target?: bigint) => mk(addr, 4, ops, flow, target);
  const opcode = i & 0x7f;
  const rd = (i >>> 7) & 31;
  const f3 = (i >>> 12) & 7;
  const rs1 = (i >>> 15) & 31;
  const rs2 = (i >>> 20) & 31;
  const f7 = i >>> 25;
  const immI = (i | 0) >> 20;
  const immS = (((i | 0) >> 25) << 5) | ((i >>> 7) & 31);
  const R = (r: number) => (r === 0 ? ZR : r);
  const W = xlen === 64 ? 's' : undefined; // RV64 *W ops sign-extend 32-bit results
  switch (opcode) {
    case 0x37: // LUI
      return ins([set(R(rd), { k: 'c', v: BigInt.asUintN(xlen, BigInt((i & 0xfffff000) | 0)) })]);
    case 0x17: // AUIPC
      return ins([set(R(rd), { k: 'c', v: (addr + BigInt((i & 0xfffff000) | 0)) & mask })]);
    case 0x6f: { // JAL
      const off = (((i | 0) >> 31) << 20) | (((i >>> 12) & 0xff) << 12) | (((i >>> 20) & 1) << 11) | (((i >>> 21) & 0x3ff) << 1);
      if (rd === 0) return ins([], 'jump', tgt(off));
      if (rd === 1) return ins([{ o: 'call' }], 'call', tgt(off));
      return ins(HAVOC, 'call', tgt(off)); // millicode (jal t0, __riscv_save_N) and the like
    }
    case 0x67: // JALR
      if (f3 !== 0) return ins(HAVOC);
      if (rd === 0) return ins([], rs1 === 1 && immI === 0 ? 'stop' : 'indirect');
      if (rd === 1) return ins([{ o: 'call' }], 'call');
      return ins(HAVOC, 'call');
    case 0x63: { // branches
      if (f3 === 2 || f3 === 3) return ins(HAVOC);
      const off = (((i | 0) >> 31) << 12) | (((i >>> 7) & 1) << 11) | (((i >>> 25) & 0x3f) << 5) | (((i >>> 8) & 0xf) << 1);
      return ins([], 'branch', tgt(off));
    }
    case 0x03: { // loads
      const sizes = [1, 2, 4, 8, 1, 2, 4];
      if (f3 === 7 || (xlen === 32 && (f3 === 3 || f3 === 6))) return ins(HAVOC);
      const size = sizes[f3]!;
      const full = size === xlen / 8 && f3 < 4;
      return ins([set(R(rd), full ? { k: 'load', addr: { base: R(rs1), off: BigInt(immI) }, size } : { k: 'unk' })]);
    }
    case 0x07: // FP loads: no integer register written
      return ins(f3 >= 1 && f3 <= 4 ? [] : HAVOC);
    case 0x23: { // stores
      if (f3 > 3 || (xlen === 32 && f3 === 3)) return ins(HAVOC);
      return ins([{ o: 'store', addr: { base: R(rs1), off: BigInt(immS) }, size: 1 << f3, e: regE(R(rs2)) }]);
    }
    case 0x27: // FP stores
      if (f3 < 1 || f3 > 4) return ins(HAVOC);
      return ins([{ o: 'store', addr: { base: R(rs1), off: BigInt(immS) }, size: [0, 2, 4, 8, 16][f3]!, e: { k: 'unk' } }]);
    case 0x13: // OP-IMM
      if (i === 0x00000013) return nop(ins([]));
      if (f3 === 0) return ins([set(R(rd), regE(R(rs1), BigInt(immI)))]);
      return ins(unk(R(rd)));
    case 0x1b: // OP-IMM-32
      if (xlen === 32) return ins(HAVOC);
      if (f3 === 0) return ins([set(R(rd), regE(R(rs1), BigInt(immI)), W)]);
      return ins(unk(R(rd)));
    case 0x33: // OP
      if (f3 === 0 && (f7 === 0 || f7 === 0x20)) return ins([set(R(rd), { k: 'reg2', a: R(rs1), b: R(rs2), neg: f7 === 0x20, shift: 0 })]);
      return ins(unk(R(rd)));
    case 0x3b: // OP-32
      if (xlen === 32) return ins(HAVOC);
      if (f3 === 0 && (f7 === 0 || f7 === 0x20)) return ins([set(R(rd), { k: 'reg2', a: R(rs1), b: R(rs2), neg: f7 === 0x20, shift: 0 }, W)]);
      return ins(unk(R(rd)));
    case 0x2f: { // AMO (A extension)
      if (f3 !== 2 && f3 !== 3) return ins(HAVOC);
      const isLr = (f7 >>> 2) === 2;
      const ops: Op[] = isLr ? [] : [{ o: 'store', addr: { base: R(rs1), off: 0n }, size: f3 === 2 ? 4 : 8, e: { k: 'unk' } }];
      return ins([...ops, ...unk(R(rd))]);
    }
    case 0x0f: // FENCE, FENCE.I
      return ins([]);
    case 0x73: // SYSTEM
      if (i === 0x00000073) return ins(unk(10)); // ecall: a0 = result
      if (i === 0x00100073) return ins([]); // ebreak
      if (f3 !== 0 && f3 !== 4) return ins(unk(R(rd))); // CSR reads
      return ins(HAVOC);
    case 0x53: { // OP-FP: integer destination only for compares, conversions to integer, fmv.x / fclass
      const f5 = f7 >>> 2;
      return ins(f5 === 0x14 || f5 === 0x18 || f5 === 0x1c ? unk(R(rd)) : []);
    }
    case 0x43: case 0x47: case 0x4b: case 0x4f: // fused multiply-add: FP destination
      return ins([]);
    default:
      return ins(HAVOC);
  }
}

function decodeRvc(h: number, addr: bigint, xlen: 32 | 64, tgt: (off: number) => bigint): Insn | null {
  const ins = (ops: Op[], flow: Flow = 'next', target?: bigint) => mk(addr, 2, ops, flow, target);
  if (h === 0) return null; // defined illegal instruction (also: zero padding)
  const q = h & 3;
  const f3 = h >>> 13;
  const rdp = 8 + ((h >>> 2) & 7); // rd' / rs2'
  const rs1p = 8 + ((h >>> 7) & 7);
  const rd = (h >>> 7) & 31;
  const rs2 = (h >>> 2) & 31;
  const R = (r: number) => (r === 0 ? ZR : r);
  const imm6 = sx(((h >>> 7) & 0x20) | ((h >>> 2) & 0x1f), 6);
  const sp = 2;
  if (q === 0) {
    switch (f3) {
      case 0: { // c.addi4spn
        const imm = ((h >>> 7) & 0x30) | ((h >>> 1) & 0x3c0) | ((h >>> 4) & 0x4) | ((h >>> 2) & 0x8);
        if (imm === 0) return ins(HAVOC);
        return ins([set(rdp, regE(sp, BigInt(imm)))]);
      }
      case 1: return ins([]); // c.fld
      case 2: { // c.lw
        const imm = ((h >>> 7) & 0x38) | ((h >>> 4) & 0x4) | ((h << 1) & 0x40);
        return ins([set(rdp, xlen === 32 ? { k: 'load', addr: { base: rs1p, off: BigInt(imm) }, size: 4 } : { k: 'unk' })]);
      }
      case 3: { // rv32: c.flw; rv64: c.ld
        if (xlen === 32) return ins([]);
        const imm = ((h >>> 7) & 0x38) | ((h << 1) & 0xc0);
        return ins([set(rdp, { k: 'load', addr: { base: rs1p, off: BigInt(imm) }, size: 8 })]);
      }
      case 5: { // c.fsd
        const imm = ((h >>> 7) & 0x38) | ((h << 1) & 0xc0);
        return ins([{ o: 'store', addr: { base: rs1p, off: BigInt(imm) }, size: 8, e: { k: 'unk' } }]);
      }
      case 6: { // c.sw
        const imm = ((h >>> 7) & 0x38) | ((h >>> 4) & 0x4) | ((h << 1) & 0x40);
        return ins([{ o: 'store', addr: { base: rs1p, off: BigInt(imm) }, size: 4, e: regE(rdp) }]);
      }
      case 7: { // rv32: c.fsw; rv64: c.sd
        if (xlen === 32) {
          const imm = ((h >>> 7) & 0x38) | ((h >>> 4) & 0x4) | ((h << 1) & 0x40);
          return ins([{ o: 'store', addr: { base: rs1p, off: BigInt(imm) }, size: 4, e: { k: 'unk' } }]);
        }
        const imm = ((h >>> 7) & 0x38) | ((h << 1) & 0xc0);
        return ins([{ o: 'store', addr: { base: rs1p, off: BigInt(imm) }, size: 8, e: regE(rdp) }]);
      }
      default: return ins(HAVOC);
    }
  }
  if (q === 1) {
    switch (f3) {
      case 0: return rd === 0 ? nop(ins([])) : ins([set(rd, regE(rd, BigInt(imm6)))]); // c.nop / c.addi
      case 1: {
        if (xlen === 32) { // c.jal
          return ins([{ o: 'call' }], 'call', tgt(cjOffset(h)));
        }
        if (rd === 0) return ins(HAVOC);
        return ins([set(rd, regE(rd, BigInt(imm6)), 's')]); // c.addiw
      }
      case 2: return ins([set(R(rd), { k: 'c', v: BigInt.asUintN(xlen, BigInt(imm6)) })]); // c.li
      case 3: {
        if (rd === 2) { // c.addi16sp
          const imm = sx(((h >>> 3) & 0x200) | ((h >>> 2) & 0x10) | ((h << 1) & 0x40) | ((h << 4) & 0x180) | ((h << 3) & 0x20), 10);
          if (imm === 0) return ins(HAVOC);
          return ins([set(sp, regE(sp, BigInt(imm)))]);
        }
        const imm = sx(((h << 5) & 0x20000) | ((h << 10) & 0x1f000), 18);
        if (imm === 0) return ins(HAVOC);
        return ins([set(R(rd), { k: 'c', v: BigInt.asUintN(xlen, BigInt(imm)) })]); // c.lui
      }
      case 4: return ins(unk(rs1p)); // c.srli/srai/andi/sub/xor/or/and/subw/addw
      case 5: return ins([], 'jump', tgt(cjOffset(h))); // c.j
      default: { // c.beqz / c.bnez
        const off = sx(((h >>> 4) & 0x100) | ((h >>> 7) & 0x18) | ((h << 1) & 0xc0) | ((h >>> 2) & 0x6) | ((h << 3) & 0x20), 9);
        return ins([], 'branch', tgt(off));
      }
    }
  }
  if (q === 2) {
    switch (f3) {
      case 0: return ins(unk(R(rd))); // c.slli
      case 1: return ins([]); // c.fldsp
      case 2: { // c.lwsp
        if (rd === 0) return ins(HAVOC);
        const imm = ((h >>> 7) & 0x20) | ((h >>> 2) & 0x1c) | ((h << 4) & 0xc0);
        return ins([set(rd, xlen === 32 ? { k: 'load', addr: { base: sp, off: BigInt(imm) }, size: 4 } : { k: 'unk' })]);
      }
      case 3: { // rv32: c.flwsp; rv64: c.ldsp
        if (xlen === 32) return ins([]);
        if (rd === 0) return ins(HAVOC);
        const imm = ((h >>> 7) & 0x20) | ((h >>> 2) & 0x18) | ((h << 4) & 0x1c0);
        return ins([set(rd, { k: 'load', addr: { base: sp, off: BigInt(imm) }, size: 8 })]);
      }
      case 4: {
        const bit12 = (h >>> 12) & 1;
        if (bit12 === 0) {
          if (rs2 === 0) { // c.jr
            if (rd === 0) return ins(HAVOC);
            return ins([], rd === 1 ? 'stop' : 'indirect');
          }
          return ins([set(R(rd), regE(rs2))]); // c.mv
        }
        if (rd === 0 && rs2 === 0) return ins([]); // c.ebreak
        if (rs2 === 0) return ins([{ o: 'call' }], 'call'); // c.jalr
        return ins([set(R(rd), { k: 'reg2', a: R(rd), b: rs2, neg: false, shift: 0 })]); // c.add
      }
      case 5: { // c.fsdsp
        const imm = ((h >>> 7) & 0x38) | ((h >>> 1) & 0x1c0);
        return ins([{ o: 'store', addr: { base: sp, off: BigInt(imm) }, size: 8, e: { k: 'unk' } }]);
      }
      case 6: { // c.swsp
        const imm = ((h >>> 7) & 0x3c) | ((h >>> 1) & 0xc0);
        return ins([{ o: 'store', addr: { base: sp, off: BigInt(imm) }, size: 4, e: regE(R(rs2)) }]);
      }
      default: { // rv32: c.fswsp; rv64: c.sdsp
        if (xlen === 32) {
          const imm = ((h >>> 7) & 0x3c) | ((h >>> 1) & 0xc0);
          return ins([{ o: 'store', addr: { base: sp, off: BigInt(imm) }, size: 4, e: { k: 'unk' } }]);
        }
        const imm = ((h >>> 7) & 0x38) | ((h >>> 1) & 0x1c0);
        return ins([{ o: 'store', addr: { base: sp, off: BigInt(imm) }, size: 8, e: regE(R(rs2)) }]);
      }
    }
  }
  return null;
}

/** c.j / c.jal offset[11|4|9:8|10|6|7|3:1|5]. */
function cjOffset(h: number): number {
  return sx(((h >>> 1) & 0x800) | ((h >>> 7) & 0x10) | ((h >>> 1) & 0x300) | ((h << 2) & 0x400) | ((h >>> 1) & 0x40) | ((h << 1) & 0x80) | ((h >>> 2) & 0xe) | ((h << 3) & 0x20), 12);
}
