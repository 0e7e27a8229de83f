// x86-64 instruction decoding for the prologue analysis (../prologue.ts): only what a
// frame needs, everything else as 'not understood'. See ../prologue.ts for the model.

import { HAVOC, T1, ZR, mk, nop, range, regE, set, sx, unk, type Addr, type Expr, type Flow, type Insn, type Op } from './insn.js';

// ---------------------------------------------------------------------------------------
// x86-64.

/** x86 register encoding -> DWARF number. */
const X86_DWARF = [0, 2, 1, 3, 7, 6, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15];
const XSP = 7;
const XBP = 6;

// 1-byte opcodes with a ModRM byte.
const X86_MODRM1 = new Set<number>([
  ...range(0x00, 0x03), ...range(0x08, 0x0b), ...range(0x10, 0x13), ...range(0x18, 0x1b),
  ...range(0x20, 0x23), ...range(0x28, 0x2b), ...range(0x30, 0x33), ...range(0x38, 0x3b),
  0x63, 0x69, 0x6b, ...range(0x80, 0x8f), 0xc0, 0xc1, 0xc6, 0xc7, ...range(0xd0, 0xd3), ...range(0xd8, 0xdf), 0xf6, 0xf7, 0xfe, 0xff,
]);
// 0F xx opcodes without a ModRM byte (the rest of the defined ones have one).
const X86_NOMODRM2 = new Set<number>([0x05, 0x06, 0x07, 0x08, 0x09, 0x0b, 0x0e, ...range(0x30, 0x35), 0x37, 0x77, ...range(0x80, 0x8f), 0xa0, 0xa1, 0xa2, 0xa8, 0xa9, 0xaa, ...range(0xc8, 0xcf)]);
// 0F xx opcodes not decoded at all.
const X86_BAD2 = new Set<number>([0x04, 0x0a, 0x0c, 0x0f, 0x24, 0x25, 0x26, 0x27, 0x36, 0x39, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x7a, 0x7b, 0xa6, 0xa7]);
// 0F xx opcodes followed by an imm8.
const X86_IMM8_2 = new Set<number>([0x70, 0x71, 0x72, 0x73, 0xa4, 0xac, 0xba, 0xc2, 0xc4, 0xc5, 0xc6]);

interface ModRM {
  mod: number;
  reg: number; // with REX.R
  rm: number; // with REX.B (register when mod = 3)
  /** Memory operand address, null when not a resolvable [base + disp]. */
  addr: Addr;
  len: number; // ModRM + SIB + displacement bytes
}

function readModRM(code: Uint8Array, at: number, rex: number, segOverride: boolean, addr32: boolean): ModRM | null {
  if (at >= code.length) return null;
  const b = code[at]!;
  const mod = b >>> 6;
  const reg = ((b >>> 3) & 7) | ((rex & 4) << 1);
  let rm = b & 7;
  let len = 1;
  if (mod === 3) return { mod, reg, rm: rm | ((rex & 1) << 3), addr: null, len };
  let base: number | null = null;
  let hasIndex = false;
  let dispSize = mod === 1 ? 1 : mod === 2 ? 4 : 0;
  if (rm === 4) {
    if (at + 1 >= code.length) return null;
    const sib = code[at + 1]!;
    len++;
    const idx = ((sib >>> 3) & 7) | ((rex & 2) << 2);
    hasIndex = idx !== 4;
    const sbase = sib & 7;
    if (sbase === 5 && mod === 0) dispSize = 4;
    else base = sbase | ((rex & 1) << 3);
  } else if (rm === 5 && mod === 0) {
    dispSize = 4; // rip-relative
  } else base = rm | ((rex & 1) << 3);
  if (at + len + dispSize > code.length) return null;
  let disp = 0;
  if (dispSize === 1) disp = sx(code[at + len]!, 8);
  else if (dispSize === 4) disp = code[at + len]! | (code[at + len + 1]! << 8) | (code[at + len + 2]! << 16) | (code[at + len + 3]! << 24);
  len += dispSize;
  rm |= (rex & 1) << 3;
  const address: Addr = base !== null && !hasIndex && !segOverride && !addr32 ? { base: X86_DWARF[base]!, off: BigInt(disp) } : null;
  return { mod, reg, rm, addr: address, len };
}

export function decodeX86(code: Uint8Array, start: number, addr: bigint): Insn | null {
  let p = start;
  let opsize16 = false;
  let addr32 = false;
  let seg = false;
  let rep = 0; // 0xf2 / 0xf3
  const limit = Math.min(code.length, start + 15);
  // Legacy prefixes.
  for (;;) {
    if (p >= limit) return null;
    const b = code[p]!;
    if (b === 0x66) opsize16 = true;
    else if (b === 0x67) addr32 = true;
    else if (b === 0x64 || b === 0x65) seg = true;
    else if (b === 0x2e || b === 0x3e || b === 0x26 || b === 0x36) { /* ignored in 64-bit mode (or branch hints) */ }
    else if (b === 0xf0) { /* lock */ }
    else if (b === 0xf2 || b === 0xf3) rep = b;
    else break;
    p++;
  }
  let rex = 0;
  if ((code[p]! & 0xf0) === 0x40) {
    rex = code[p]!;
    p++;
    if (p >= limit) return null;
  }
  const W = (rex & 8) !== 0;
  const op = code[p++]!;
  const done = (len: number, ops: Op[], flow: Flow = 'next', target?: bigint): Insn | null =>
    start + len > limit ? null : mk(addr, len, ops, flow, target);
  const imm = (at: number, size: number): bigint => {
    let v = 0n;
    for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(code[at + k] ?? 0);
    return BigInt.asIntN(size * 8, v);
  };
  const rel = (len: number, size: number) => (addr + BigInt(len) + imm(start + len - size, size)) & 0xffff_ffff_ffff_ffffn;
  const D = (r: number) => X86_DWARF[r]!;
  /** Destination of a byte operation on a register: without REX, 4-7 are ah, ch, dh, bh. */
  const byteReg = (r: number) => (rex === 0 && r >= 4 && r < 8 ? D(r - 4) : D(r));
  const iz = opsize16 ? 2 : 4;

  // VEX / EVEX: vector instructions; a few write a general register.
  if (op === 0xc4 || op === 0xc5 || op === 0x62) return decodeX86Vex(code, start, p - 1, op, addr, limit, rex !== 0 || opsize16 || rep !== 0);

  if (op !== 0x0f) {
    // One-byte opcode map.
    if (X86_MODRM1.has(op)) {
      const m = readModRM(code, p, rex, seg, addr32);
      if (!m) return null;
      let len = p - start + m.len;
      const regD = D(m.reg);
      const rmD = m.mod === 3 ? D(m.rm) : null;
      const mem: Addr = m.addr;
      const size = op & 1 ? (W ? 8 : opsize16 ? 2 : 4) : 1;
      /** Write to the r/m operand: a register (maybe narrower than 64 bits) or memory. */
      const toRm = (e: Expr): Op[] => {
        if (m.mod !== 3) return [{ o: 'store', addr: mem, size, e: size === 8 ? e : { k: 'unk' } }];
        const r = size === 1 ? byteReg(m.rm) : rmD!;
        if (size === 8) return [set(r, e)];
        if (size === 4) return [set(r, e, 'z')];
        return unk(r);
      };
      const toReg = (e: Expr): Op[] => {
        const r = size === 1 ? byteReg(m.reg) : regD;
        if (size === 8) return [set(r, e)];
        if (size === 4) return [set(r, e, 'z')];
        return unk(r);
      };
      const rmVal: Expr = m.mod === 3 ? regE(rmD!) : { k: 'load', addr: mem, size };
      if (op < 0x40) { // ALU: add or adc sbb and sub xor cmp
        const alu = op >>> 3;
        const dir = op & 2; // 0: r/m is the destination
        if (alu === 7) return done(len, []); // cmp
        const same = m.mod === 3 && m.rm === m.reg;
        if ((alu === 6 || alu === 5) && same) return done(len, dir ? toReg({ k: 'c', v: 0n }) : toRm({ k: 'c', v: 0n })); // xor r,r / sub r,r
        if ((alu === 0 || alu === 5) && size === 8) {
          const neg = alu === 5;
          const e: Expr = dir ? { k: 'reg2', a: regD, b: rmD ?? ZR, neg, shift: 0 } : { k: 'reg2', a: rmD ?? ZR, b: regD, neg, shift: 0 };
          if (m.mod !== 3 && !dir) return done(len, toRm({ k: 'unk' }));
          if (m.mod !== 3) return done(len, toReg({ k: 'unk' }));
          return done(len, dir ? toReg(e) : toRm(e));
        }
        return done(len, dir ? toReg({ k: 'unk' }) : toRm({ k: 'unk' }));
      }
      switch (op) {
        case 0x63: return done(len, unk(regD)); // movsxd
        case 0x69: len += iz; return done(len, unk(regD)); // imul r, r/m, imm
        case 0x6b: len += 1; return done(len, unk(regD));
        case 0x80: case 0x81: case 0x83: { // group 1 with an immediate
          const isz = op === 0x81 ? iz : 1;
          len += isz;
          const alu = (m.reg & 7);
          if (alu === 7) return done(len, []); // cmp
          const v = imm(start + len - isz, isz);
          if ((alu === 0 || alu === 5) && size === 8 && m.mod === 3) return done(len, toRm(regE(rmD!, alu === 5 ? -v : v)));
          if (alu === 4 && m.mod === 3 && size >= 4 && v === 0n) return done(len, toRm({ k: 'c', v: 0n })); // and r, 0
          return done(len, toRm({ k: 'unk' }));
        }
        case 0x84: case 0x85: return done(len, []); // test
        case 0x86: case 0x87: { // xchg
          if (m.mod === 3 && size === 8) {
            return done(len, swap(regD, rmD!));
          }
          return done(len, [...toRm({ k: 'unk' }), ...toReg({ k: 'unk' })]);
        }
        case 0x88: case 0x89: return done(len, toRm(regE(size === 1 ? byteReg(m.reg) : regD))); // mov r/m, r
        case 0x8a: case 0x8b: return done(len, toReg(rmVal)); // mov r, r/m
        case 0x8c: return done(len, m.mod === 3 ? unk(rmD!) : [{ o: 'store', addr: mem, size: 2, e: { k: 'unk' } }]);
        case 0x8d: { // lea
          if (m.mod === 3) return null;
          const e: Expr = m.addr ? regE(m.addr.base, m.addr.off) : { k: 'unk' };
          if (W) return done(len, [set(regD, e)]);
          return done(len, unk(regD));
        }
        case 0x8e: return done(len, []); // mov sreg, r/m
        case 0x8f: // pop r/m
          if ((m.reg & 7) !== 0) return null; // XOP
          if (opsize16) return done(len, HAVOC); // pop r/m16
          if (m.mod === 3) return done(len, popTo(D(m.rm)));
          // The destination address is computed with rsp already incremented.
          return done(len, [set(XSP, regE(XSP, 8n)), { o: 'store', addr: mem, size: 8, e: { k: 'unk' } }]);
        case 0xc0: case 0xc1: len += 1; return done(len, toRm({ k: 'unk' })); // shifts by imm8
        case 0xc6: case 0xc7: { // mov r/m, imm
          if ((m.reg & 7) === 7 && m.mod === 3) { // xabort / xbegin
            if (op === 0xc6) { len += 1; return done(len, unk(0)); }
            len += iz;
            return done(len, unk(0), 'branch', rel(len, iz));
          }
          if ((m.reg & 7) !== 0) return null;
          const isz = op === 0xc7 ? iz : 1;
          len += isz;
          const v = imm(start + len - isz, isz);
          return done(len, toRm({ k: 'c', v: BigInt.asUintN(64, v) }));
        }
        case 0xd0: case 0xd1: case 0xd2: case 0xd3: return done(len, toRm({ k: 'unk' })); // shifts by 1 / cl
        case 0xd8: case 0xd9: case 0xda: case 0xdb: case 0xdc: case 0xdd: case 0xde: case 0xdf: // x87 (fnstsw ax writes ax)
          return done(len, unk(0));
        case 0xf6: case 0xf7: { // group 3
          const sub = m.reg & 7;
          if (sub === 0 || sub === 1) { len += op === 0xf7 ? iz : 1; return done(len, []); } // test
          if (sub === 2 || sub === 3) return done(len, toRm({ k: 'unk' })); // not, neg
          return done(len, unk(0, 1)); // mul, imul, div, idiv: rax, rdx
        }
        case 0xfe: { // inc/dec r/m8
          if ((m.reg & 7) > 1) return null;
          return done(len, toRm({ k: 'unk' }));
        }
        case 0xff: { // group 5
          const sub = m.reg & 7;
          if (sub === 0 || sub === 1) return done(len, toRm({ k: 'unk' })); // inc, dec
          if (sub === 2) return done(len, [{ o: 'call' }], 'call'); // call r/m
          if (sub === 4) return done(len, [], 'indirect'); // jmp r/m
          if (sub === 6 && opsize16) return done(len, HAVOC); // push r/m16
          if (sub === 6) return done(len, pushOf(m.mod === 3 ? regE(rmD!) : { k: 'load', addr: mem, size: 8 })); // push r/m
          return done(len, HAVOC, 'stop'); // far call/jmp
        }
      }
      return null;
    }
    // One-byte opcodes without ModRM.
    const len0 = p - start;
    if (opsize16 && ((op >= 0x50 && op <= 0x5f) || op === 0x68 || op === 0x6a || op === 0x9c || op === 0x9d)) return done(len0 + (op === 0x68 ? 2 : op === 0x6a ? 1 : 0), HAVOC); // 16-bit push/pop
    if (op >= 0x50 && op <= 0x57) return done(len0, pushOf(regE(D((op & 7) | ((rex & 1) << 3))))); // push r
    if (op >= 0x58 && op <= 0x5f) return done(len0, popTo(D((op & 7) | ((rex & 1) << 3)))); // pop r
    if (op >= 0x70 && op <= 0x7f) return done(len0 + 1, [], 'branch', rel(len0 + 1, 1)); // jcc rel8
    if (op >= 0x90 && op <= 0x97) { // nop / pause / xchg rax, r
      const r = (op & 7) | ((rex & 1) << 3);
      if (r === 0 && rep === 0) return nop(done(len0, []));
      if (r === 0) return done(len0, []); // pause
      return done(len0, W ? swap(0, D(r)) : unk(0, D(r)));
    }
    if (op >= 0xb0 && op <= 0xb7) return done(len0 + 1, unk(byteReg((op & 7) | ((rex & 1) << 3)))); // mov r8, imm8
    if (op >= 0xb8 && op <= 0xbf) { // mov r, imm
      const r = D((op & 7) | ((rex & 1) << 3));
      if (W) return done(len0 + 8, [set(r, { k: 'c', v: BigInt.asUintN(64, imm(start + len0, 8)) })]);
      if (opsize16) return done(len0 + 2, unk(r));
      return done(len0 + 4, [set(r, { k: 'c', v: BigInt.asUintN(32, imm(start + len0, 4)) })]);
    }
    switch (op) {
      case 0x04: case 0x0c: case 0x14: case 0x1c: case 0x24: case 0x2c: case 0x34: return done(len0 + 1, unk(0)); // alu al, imm8
      case 0x3c: case 0xa8: return done(len0 + 1, []); // cmp/test al, imm8
      case 0x05: case 0x0d: case 0x15: case 0x1d: case 0x25: case 0x2d: case 0x35: return done(len0 + iz, unk(0));
      case 0x3d: case 0xa9: return done(len0 + iz, []);
      case 0x68: return done(len0 + iz, pushOf({ k: 'c', v: BigInt.asUintN(64, imm(start + len0, iz)) })); // push imm
      case 0x6a: return done(len0 + 1, pushOf({ k: 'c', v: BigInt.asUintN(64, imm(start + len0, 1)) }));
      case 0x98: return done(len0, unk(0)); // cbw/cwde/cdqe
      case 0x99: return done(len0, unk(1)); // cwd/cdq/cqo
      case 0x9b: return done(len0, []); // fwait
      case 0x9c: return done(len0, pushOf({ k: 'unk' })); // pushf
      case 0x9d: return done(len0, [set(XSP, regE(XSP, 8n))]); // popf
      case 0x9e: return done(len0, []); // sahf
      case 0x9f: return done(len0, unk(0)); // lahf
      case 0xa0: case 0xa1: return done(len0 + (addr32 ? 4 : 8), unk(0)); // mov al/rax, moffs
      case 0xa2: case 0xa3: return done(len0 + (addr32 ? 4 : 8), []); // mov moffs, al/rax (absolute address)
      case 0xa4: case 0xa5: return done(len0, unk(4, 5, 2)); // movs (rep: rcx)
      case 0xa6: case 0xa7: return done(len0, unk(4, 5, 2)); // cmps
      case 0xaa: case 0xab: return done(len0, unk(5, 2)); // stos
      case 0xac: case 0xad: return done(len0, unk(0, 4, 2)); // lods
      case 0xae: case 0xaf: return done(len0, unk(5, 2)); // scas
      case 0xc2: return done(len0 + 2, [], 'stop'); // ret imm16
      case 0xc3: return done(len0, [], 'stop'); // ret
      case 0xc9: // leave: rsp = rbp; pop rbp
        return done(len0, [set(XSP, regE(XBP)), ...popTo(XBP)]);
      case 0xcc: case 0xf1: return done(len0, []); // int3, int1
      case 0xca: return done(len0 + 2, HAVOC, 'stop'); // far ret
      case 0xcb: case 0xcf: return done(len0, HAVOC, 'stop'); // far ret, iret
      case 0xd7: return done(len0, unk(0)); // xlat
      case 0xcd: return done(len0 + 1, unk(0, 2, 11)); // int imm8
      case 0xe0: case 0xe1: case 0xe2: return done(len0 + 1, unk(2), 'branch', rel(len0 + 1, 1)); // loop
      case 0xe3: return done(len0 + 1, [], 'branch', rel(len0 + 1, 1)); // jrcxz
      case 0xe8: if (opsize16) return null; return done(len0 + 4, [{ o: 'call' }], 'call', rel(len0 + 4, 4));
      case 0xe9: if (opsize16) return null; return done(len0 + 4, [], 'jump', rel(len0 + 4, 4));
      case 0xeb: return done(len0 + 1, [], 'jump', rel(len0 + 1, 1));
      case 0xf4: return done(len0, []); // hlt (faults in user mode)
      case 0xf5: case 0xf8: case 0xf9: case 0xfa: case 0xfb: case 0xfc: case 0xfd: return done(len0, []); // flag ops
    }
    return null;
  }

  // 0F map.
  if (p >= limit) return null;
  const op2 = code[p++]!;
  if (op2 === 0x38 || op2 === 0x3a) {
    if (p >= limit) return null;
    const op3 = code[p++]!;
    const m = readModRM(code, p, rex, seg, addr32);
    if (!m) return null;
    const len = p - start + m.len + (op2 === 0x3a ? 1 : 0);
    const rmD = m.mod === 3 ? D(m.rm) : null;
    if (op2 === 0x38 && op3 >= 0xf0) return done(len, [...unk(D(m.reg)), ...(rmD !== null ? unk(rmD) : [])]); // movbe, crc32, adcx, adox, ...
    if (op2 === 0x3a && op3 >= 0x14 && op3 <= 0x17) return done(len, rmD !== null ? unk(rmD) : []); // pextr*, extractps
    return done(len, []);
  }
  if (X86_BAD2.has(op2)) return null;
  const len0 = p - start;
  if (op2 >= 0x80 && op2 <= 0x8f) return done(len0 + 4, [], 'branch', rel(len0 + 4, 4)); // jcc rel32
  if (X86_NOMODRM2.has(op2)) {
    switch (op2) {
      case 0x05: return done(len0, unk(0, 2, 11)); // syscall
      case 0x0b: return done(len0, []); // ud2 (faults)
      case 0x31: return done(len0, unk(0, 1)); // rdtsc
      case 0xa2: return done(len0, unk(0, 3, 2, 1)); // cpuid
      case 0x77: return done(len0, []); // emms
      default:
        if (op2 >= 0xc8 && op2 <= 0xcf) return done(len0, unk(D((op2 & 7) | ((rex & 1) << 3)))); // bswap
        return done(len0, HAVOC);
    }
  }
  const m = readModRM(code, p, rex, seg, addr32);
  if (!m) return null;
  const len = len0 + m.len + (X86_IMM8_2.has(op2) ? 1 : 0);
  const regD = D(m.reg);
  const rmD = m.mod === 3 ? D(m.rm) : null;
  const size = W ? 8 : opsize16 ? 2 : 4;
  const toRm = (): Op[] => (m.mod === 3 ? unk(rmD!) : [{ o: 'store', addr: m.addr, size, e: { k: 'unk' } }]);
  switch (op2) {
    case 0x00: return done(len, toRm()); // sldt, str, ...
    case 0x01: return done(len, [...unk(0, 1, 2), ...(m.mod === 3 ? [] : [{ o: 'store', addr: m.addr, size: 10, e: { k: 'unk' } } as Op])]); // xgetbv, rdtscp, ...
    case 0x02: case 0x03: return done(len, unk(regD)); // lar, lsl
    case 0x1f: return nop(done(len, [])); // nop r/m
    case 0x0d: case 0x18: case 0x19: case 0x1a: case 0x1b: case 0x1c: case 0x1d: return done(len, []); // prefetch, hint nops
    case 0x1e: // endbr64 / endbr32 / nop; rdssp writes r/m
      if (m.mod === 3 && rep === 0xf3 && ((m.reg & 7) === 1) && code[p] !== 0xfa && code[p] !== 0xfb) return done(len, unk(rmD!));
      return done(len, []);
    case 0x2c: case 0x2d: return done(len, unk(regD)); // cvt(t)ss2si / sd2si
    case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45: case 0x46: case 0x47:
    case 0x48: case 0x49: case 0x4a: case 0x4b: case 0x4c: case 0x4d: case 0x4e: case 0x4f: return done(len, unk(regD)); // cmovcc
    case 0x50: case 0xc5: case 0xd7: return done(len, unk(regD)); // movmskps, pextrw, pmovmskb
    case 0x7e: return done(len, rep !== 0xf3 && m.mod === 3 ? unk(rmD!) : []); // movd/movq r/m, xmm
    case 0x90: case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97:
    case 0x98: case 0x99: case 0x9a: case 0x9b: case 0x9c: case 0x9d: case 0x9e: case 0x9f: // setcc r/m8
      return done(len, m.mod === 3 ? unk(rex === 0 && (m.rm & 7) >= 4 && m.rm < 8 ? D(m.rm - 4) : rmD!) : [{ o: 'store', addr: m.addr, size: 1, e: { k: 'unk' } }]);
    case 0xa3: case 0xba: // bt r/m, r / group 8
      if (op2 === 0xa3 || (m.reg & 7) === 4) return done(len, []);
      return done(len, toRm());
    case 0xab: case 0xb3: case 0xbb: return done(len, toRm()); // bts, btr, btc
    case 0xa4: case 0xa5: case 0xac: case 0xad: return done(len, toRm()); // shld, shrd
    case 0xae: return done(len, m.mod === 3 ? unk(rmD!) : []); // fences, rdfsbase (r); fxsave/ldmxcsr/... (memory)
    case 0xaf: return done(len, unk(regD)); // imul
    case 0xb0: case 0xb1: return done(len, [...unk(0), ...toRm()]); // cmpxchg
    case 0xb2: case 0xb4: case 0xb5: return done(len, unk(regD));
    case 0xb6: case 0xb7: case 0xbe: case 0xbf: return done(len, unk(regD)); // movzx, movsx
    case 0xb8: case 0xbc: case 0xbd: return done(len, unk(regD)); // popcnt, bsf/tzcnt, bsr/lzcnt
    case 0xc0: case 0xc1: return done(len, [...unk(regD), ...toRm()]); // xadd
    case 0xc3: return done(len, [{ o: 'store', addr: m.addr, size, e: { k: 'unk' } }]); // movnti
    case 0xc7: return done(len, [...unk(0, 1), ...toRm()]); // cmpxchg8b/16b, rdrand, rdseed
    case 0x20: case 0x21: case 0x22: case 0x23: case 0x78: case 0x79: case 0xb9: case 0xff:
      return done(len, HAVOC);
  }
  // Everything else here (SSE/MMX arithmetic, moves between vector registers and memory) writes no general register.
  return done(len, []);
}

function pushOf(e: Expr): Op[] {
  return [{ o: 'store', addr: { base: XSP, off: -8n }, size: 8, e }, set(XSP, regE(XSP, -8n))];
}

function popTo(r: number): Op[] {
  if (r === XSP) return unk(XSP); // pop rsp
  return [set(r, { k: 'load', addr: { base: XSP, off: 0n }, size: 8 }), set(XSP, regE(XSP, 8n))];
}

/** Exchange two registers (through a scratch pseudo register). */
function swap(a: number, b: number): Op[] {
  return [set(T1, regE(a)), set(a, regE(b)), set(b, regE(T1)), set(T1, { k: 'unk' })];
}

function decodeX86Vex(code: Uint8Array, start: number, at: number, kind: number, addr: bigint, limit: number, badPrefix: boolean): Insn | null {
  if (badPrefix) return null; // VEX/EVEX after REX, 66, F2 or F3 is #UD
  let p = at + 1;
  let map: number;
  let vvvv: number;
  let rex = 0;
  if (kind === 0xc5) {
    if (p >= limit) return null;
    const b = code[p++]!;
    map = 1;
    rex = b & 0x80 ? 0 : 4;
    vvvv = (~b >>> 3) & 0xf;
  } else if (kind === 0xc4) {
    if (p + 1 >= limit) return null;
    const b1 = code[p++]!;
    const b2 = code[p++]!;
    map = b1 & 0x1f;
    rex = (b1 & 0x80 ? 0 : 4) | (b1 & 0x40 ? 0 : 2) | (b1 & 0x20 ? 0 : 1) | (b2 & 0x80 ? 8 : 0);
    vvvv = (~b2 >>> 3) & 0xf;
  } else {
    if (p + 2 >= limit) return null;
    const p0 = code[p++]!;
    const p1 = code[p++]!;
    p++;
    if ((p1 & 4) === 0) return null;
    map = p0 & 7;
    rex = (p0 & 0x80 ? 0 : 4) | (p0 & 0x40 ? 0 : 2) | (p0 & 0x20 ? 0 : 1) | (p1 & 0x80 ? 8 : 0);
    vvvv = (~p1 >>> 3) & 0xf;
  }
  if (map < 1 || map > 6 || map === 4) return null;
  if (p >= limit) return null;
  const op = code[p++]!;
  if (kind !== 0x62 && map === 1 && op === 0x77) return mk(addr, p - start, []); // vzeroupper / vzeroall
  const m = readModRM(code, p, rex, false, false);
  if (!m) return null;
  const immLen = map === 3 || (map === 1 && (X86_IMM8_2.has(op) && op !== 0xa4 && op !== 0xac && op !== 0xba)) ? 1 : 0;
  const len = p - start + m.len + immLen;
  if (start + len > limit) return null;
  const D = (r: number) => X86_DWARF[r]!;
  const gprWriter =
    (map === 1 && [0x2c, 0x2d, 0x50, 0x7e, 0x93, 0xc5, 0xd7].includes(op)) ||
    (map === 2 && op >= 0xf0) ||
    (map === 3 && ((op >= 0x14 && op <= 0x17) || op === 0xf0));
  if (!gprWriter) return mk(addr, len, []);
  return mk(addr, len, unk(D(m.reg), ...(m.mod === 3 ? [D(m.rm)] : []), D(vvvv)));
}
