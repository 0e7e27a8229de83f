// rv64: RISC-V 64-bit (lp64/lp64d). Everything but the width is shared in riscv.ts.
import { makeRiscv } from './riscv.js';
export const rv64 = makeRiscv('rv64', 64);
