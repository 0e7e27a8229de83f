// `crashlab addr2line -e prog.elf [-f] [-i] [-a] [-p] [ADDR...]`: answers like binutils
// addr2line. Addresses come from the arguments, else one per line on stdin. Each address
// is looked up exactly as given (no return-address adjustment). Unknown: `??:0`.

import { readFileSync, writeSync } from 'node:fs';
import type { Argv } from 'yargs';
import { readElf } from '../loader/elf.js';
import { Symbolizer, type Location } from '../symbolize/index.js';
import { UsageError } from './errors.js';

export interface Addr2lineArgs {
  exe: string;
  addresses: string[];
  functions: boolean;
  inlines: boolean;
  'print-address': boolean;
  pretty: boolean;
}

export function addr2lineBuilder(y: Argv): Argv<Addr2lineArgs> {
  return y
    .positional('addresses', { type: 'string', array: true, default: [], describe: 'addresses (hex, 0x optional); read from stdin when none' })
    .option('exe', { alias: 'e', type: 'string', demandOption: true, describe: 'the ELF file' })
    .option('functions', { alias: 'f', type: 'boolean', default: false, describe: 'also print function names' })
    .option('inlines', { alias: 'i', type: 'boolean', default: false, describe: 'also print the callers an address was inlined into' })
    .option('print-address', { alias: 'a', type: 'boolean', default: false, describe: 'print each address before its answer' })
    .option('pretty', { alias: 'p', type: 'boolean', default: false, describe: 'one line per address ("f at file:line")' })
    .example('$0 addr2line -e prog.elf -f -i 0x1122e', 'function and file:line of an address, with inlined callers') as unknown as Argv<Addr2lineArgs>;
}

function parseAddress(s: string): bigint {
  const t = s.trim().replace(/^0x/i, '');
  if (!/^[0-9a-f]+$/i.test(t)) throw new UsageError(`not a hex address: '${s}'`);
  return BigInt('0x' + t);
}

const fileLine = (l: Location) => `${l.file ?? '??'}:${l.line || (l.file ? '?' : 0)}`;

export function answer(sym: Symbolizer, addr: bigint, a: Pick<Addr2lineArgs, 'functions' | 'inlines' | 'print-address' | 'pretty'>, digits: number): string {
  const locs = sym.locate(addr, false);
  const shown = a.inlines ? locs : [locs[0]!];
  const out: string[] = [];
  const addrText = '0x' + addr.toString(16).padStart(digits, '0');
  if (a.pretty) {
    const parts = shown.map((l, i) => `${i > 0 ? ' (inlined by) ' : ''}${a.functions ? `${l.function ?? '??'} at ` : ''}${fileLine(l)}`);
    out.push(`${a['print-address'] ? addrText + ': ' : ''}${parts.join('\n')}`);
  } else {
    if (a['print-address']) out.push(addrText);
    for (const l of shown) {
      if (a.functions) out.push(l.function ?? '??');
      out.push(fileLine(l));
    }
  }
  return out.join('\n') + '\n';
}

export async function addr2lineCommand(a: Addr2lineArgs): Promise<number> {
  const elf = await readElf(a.exe);
  const sym = Symbolizer.fromElf(elf);
  const list = a.addresses.length ? a.addresses.map(String) : readFileSync(0, 'utf8').split(/\s+/).filter(Boolean);
  const addrs = list.map(parseAddress);
  writeSync(1, addrs.map((x) => answer(sym, x, a, elf.bits / 4)).join(''));
  return 0;
}
