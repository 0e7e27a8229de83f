// Disassembly for teaching views, through capstone-js (wasm), loaded on first use only.

import { createRequire } from 'node:module';
import type { Arch } from '../arch/index.js';

export interface Insn {
  addr: bigint;
  size: number;
  bytes: Uint8Array;
  text: string;
}

interface CsInsn {
  address: number | bigint;
  size: number;
  mnemonic: string;
  op_str: string;
}
interface CsModule {
  Capstone: new (arch: number, mode: number) => { disasm(code: number[] | Uint8Array, offset: number): CsInsn[]; close(): void };
  [k: string]: unknown;
}

let cs: Promise<CsModule> | null = null;

function capstone(): Promise<CsModule> {
  if (!cs) {
    const require = createRequire(import.meta.url);
    const factory = require('@alexaltea/capstone-js') as () => Promise<CsModule>;
    cs = factory();
  }
  return cs;
}

/** Disassemble `code` located at `addr`, stopping at the first byte capstone cannot decode. */
export async function disassemble(arch: Arch, code: Uint8Array, addr: bigint): Promise<Insn[]> {
  const m = await capstone();
  const archId = m[arch.capstone.arch] as number;
  const mode = arch.capstone.modes.reduce((acc, name) => acc | (m[name] as number), 0);
  const d = new m.Capstone(archId, mode);
  try {
    // capstone-js takes the offset as a Number: guest code addresses are far below 2^53.
    const list = d.disasm(Array.from(code), Number(addr));
    return list.map((i) => {
      const a = BigInt(i.address);
      const off = Number(a - addr);
      return { addr: a, size: i.size, bytes: code.subarray(off, off + i.size), text: `${i.mnemonic}${i.op_str ? ' ' + i.op_str : ''}` };
    });
  } finally {
    d.close();
  }
}
