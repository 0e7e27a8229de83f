// rv32: RISC-V 32-bit (ilp32). Everything but the width is shared in riscv.ts.
import { makeRiscv } from './riscv.js';
export const rv32 = makeRiscv('rv32', 32);
