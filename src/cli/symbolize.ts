// `crashlab symbolize prog.elf`: annotate a pasted backtrace. Every line that looks like
// `#N 0x<hex> ...` (a gdb or crashlab trace, a log from real hardware) is rewritten in
// place with the function, offset and source position for that address; inlined calls
// at the same address come first, with the same frame number, as sanitizer traces print
// them. Frame #0 is looked up at its address; later frames are return addresses and are
// looked up one byte back. Every other line passes through unchanged.

import { readFileSync, writeSync } from 'node:fs';
import type { Argv } from 'yargs';
import { readElf } from '../loader/elf.js';
import { frameLine } from '../report/text.js';
import { Symbolizer } from '../symbolize/index.js';
import { log } from '../log.js';

export interface SymbolizeArgs {
  elf: string;
}

export function symbolizeBuilder(y: Argv): Argv<SymbolizeArgs> {
  return y
    .positional('elf', { type: 'string', describe: 'the ELF the trace came from', demandOption: true })
    .example('$0 symbolize prog.elf < trace.txt', 'annotate every "#N 0x<hex>" line of a trace') as unknown as Argv<SymbolizeArgs>;
}

const FRAME = /^(\s*)#(\d+)\s+(0x[0-9a-fA-F]+)\b.*$/;

export function annotate(text: string, sym: Symbolizer, digits: number): string {
  return text
    .split('\n')
    .map((line) => {
      const m = FRAME.exec(line);
      if (!m) return line;
      const [, indent, num, hexAddr] = m;
      const index = Number(num);
      const pc = BigInt(hexAddr!);
      return sym
        .locate(pc, index > 0)
        .map((loc) => indent + frameLine({ index, pc, ...loc }, digits))
        .join('\n');
    })
    .join('\n');
}

export async function symbolizeCommand(a: SymbolizeArgs): Promise<number> {
  const elf = await readElf(a.elf);
  const sym = Symbolizer.fromElf(elf);
  const input = readFileSync(0, 'utf8');
  writeSync(1, annotate(input, sym, elf.bits / 4));
  if (!sym.hasDebugInfo) (await log()).warn(`no debug info in ${a.elf}: names come from the ELF symbol table only`);
  const dw = sym.warningSummary(a.elf);
  if (dw) (await log()).warn(dw);
  return 0;
}
