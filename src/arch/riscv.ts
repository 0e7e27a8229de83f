// RISC-V (psABI, Linux), shared by rv32 and rv64. With a frame pointer, s0 holds the
// canonical frame address (the sp on entry), the return address is saved at s0-ptr and the
// caller's s0 at s0-2*ptr (RISC-V psABI, "Frame Pointer Convention"). A frame without a
// record finds its caller in ra.

import { RISCV32_SYSCALLS, RISCV64_SYSCALLS } from '../linux/syscall-table.js';
import { UC_ARCH, UC_MODE, RISCV_REG } from '../emu/consts.js';
import { frame0HasRecord, linkRegisterFrame0, u16le, u32le, type PrologueDecoder } from './frame0.js';
import type { Arch, ArchName, TrapMeaning } from './types.js';

const ABI_NAMES = ['zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7',
  's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6'];

const prologue: PrologueDecoder = {
  frameSetupOffset(code) {
    let off = 0;
    while (off + 2 <= code.length) {
      const half = u16le(code, off);
      if ((half & 3) === 3) {
        if (off + 4 > code.length) break;
        // addi s0, sp, imm: opcode OP-IMM, rd=x8, funct3=0, rs1=x2
        if ((u32le(code, off) & 0x000fffff) === 0x00010413) return off;
        off += 4;
      } else {
        // c.addi4spn s0, sp, nzuimm: funct3=000, rd'=000 (x8), op=00, nzuimm != 0
        if ((half & 0xe01f) === 0 && half !== 0) return off;
        off += 2;
      }
    }
    return null;
  },
  // ret = jalr x0, 0(ra), or its compressed form c.jr ra
  isReturn: (b) => (b.length >= 4 && u32le(b, 0) === 0x00008067) || u16le(b, 0) === 0x8082,
};

const EBREAK = 0x00100073;
const C_EBREAK = 0x9002;

// Unicorn passes the RISC-V exception cause (privileged spec, Table "mcause") as intno.
function interrupt(intno: number): TrapMeaning | null {
  switch (intno) {
    case 8: case 9: case 11: return { kind: 'syscall' }; // ecall from U/S/M mode; pc already advanced
    case 2: return { kind: 'signal', signal: 'SIGILL', reason: 'illegal instruction', pcAdjust: 4 };
    case 3: return { kind: 'signal', signal: 'SIGTRAP', reason: 'breakpoint (ebreak)', pcAdjust: 0 };
    case 0: return { kind: 'signal', signal: 'SIGBUS', reason: 'misaligned instruction fetch', pcAdjust: 0 };
    case 4: return { kind: 'signal', signal: 'SIGBUS', reason: 'misaligned load', pcAdjust: 0 };
    case 6: return { kind: 'signal', signal: 'SIGBUS', reason: 'misaligned store', pcAdjust: 0 };
    case 1: case 12: return { kind: 'signal', signal: 'SIGSEGV', reason: 'instruction access fault', pcAdjust: 0 };
    case 5: case 13: return { kind: 'signal', signal: 'SIGSEGV', reason: 'load access fault', pcAdjust: 0 };
    case 7: case 15: return { kind: 'signal', signal: 'SIGSEGV', reason: 'store access fault', pcAdjust: 0 };
    default: return null;
  }
}

export function makeRiscv(name: ArchName, bits: 32 | 64): Arch {
  const ptr = bits / 8;
  const r = RISCV_REG;
  return {
    name,
    elf: { machine: 243, bits },
    ptrSize: ptr as 4 | 8,
    engine: { arch: UC_ARCH.RISCV, mode: bits === 64 ? UC_MODE.RISCV64 : UC_MODE.RISCV32 },
    regs: {
      pc: r.PC,
      sp: r.X2,
      fp: r.X8,
      link: r.X1,
      args: [r.X10, r.X11, r.X12, r.X13, r.X14, r.X15, r.X16, r.X17],
      show: [
        { name: 'pc', id: r.PC }, { name: 'sp', id: r.X2 }, { name: 's0', id: r.X8 }, { name: 'ra', id: r.X1 },
        { name: 'a0', id: r.X10 }, { name: 'a1', id: r.X11 }, { name: 'a2', id: r.X12 }, { name: 'a3', id: r.X13 },
      ],
    },
    record: { callerFp: -2 * ptr, returnAddress: -ptr, cfaFromFp: 0 },
    // RISC-V ELF psABI, "DWARF Register Numbers": x0-x31 are 0-31.
    dwarf: {
      sp: 2,
      fp: 8,
      regs: Array.from({ length: 31 }, (_, i) => ({ dwarf: i + 1, name: ABI_NAMES[i + 1]!, id: r.X1 + i })),
    },
    stackAlign: 16,
    syscall: {
      numberReg: r.X17,
      argRegs: [r.X10, r.X11, r.X12, r.X13, r.X14, r.X15],
      retReg: r.X10,
      numbers: bits === 64 ? RISCV64_SYSCALLS : RISCV32_SYSCALLS,
    },
    linux: {
      userTop: bits === 64 ? 0x7fff_ffff_f000n : 0x8000_0000n,
      stat: 'generic',
      sigactionRestorer: false,
      openFlags: { directory: 0o200000, nofollow: 0o400000, largefile: 0o100000 },
      // One bit per single-letter extension, 'a' = bit 0 (arch/riscv/include/uapi/asm/hwcap.h):
      // I, M, A, F, D, C, what Unicorn's default CPU implements.
      hwcap: [...'imafdc'].reduce((v, c) => v | (1n << BigInt(c.charCodeAt(0) - 97)), 0n),
      // Linux passes no AT_PLATFORM on RISC-V (ELF_PLATFORM is NULL in asm/elf.h).
      platform: null,
      machine: bits === 64 ? 'riscv64' : 'riscv32',
    },
    capstone: { arch: 'ARCH_RISCV', modes: [bits === 64 ? 'MODE_RISCV64' : 'MODE_RISCV32', 'MODE_RISCVC'] },
    syscallPcAdjust: 4,
    syscallInsnSize: 4,
  interrupt,
    invalidInstruction(bytes) {
      const isBreak = bytes !== null && ((bytes.length >= 4 && u32le(bytes, 0) === EBREAK) || u16le(bytes, 0) === C_EBREAK);
      return isBreak
        ? { kind: 'signal', signal: 'SIGTRAP', reason: 'breakpoint (ebreak)', pcAdjust: 0 }
        : { kind: 'signal', signal: 'SIGILL', reason: 'illegal instruction', pcAdjust: 0 };
    },
    frame0Caller: (ctx) => linkRegisterFrame0(ctx, prologue, 'ra'),
    hasFrameRecord: (ctx) => frame0HasRecord(ctx, prologue).has,
    // The FPU is off until mstatus.FS is set (privileged spec §3.1.6.6); set FS=Initial.
    initialRegisters: [{ id: r.MSTATUS, value: 0x2000n }],
  };
}
