// `crashlab explain prog.elf [prog2.elf ...]`: run each guest to its fault or trap and
// walk its frame-pointer chain out loud; two or more guests are shown side by side.

import { writeSync } from 'node:fs';
import type { Argv } from 'yargs';
import { ARCH_NAMES } from '../arch/index.js';
import { explain, type Explanation } from '../explain/explain.js';
import { COLOUR, PLAIN, explainHeadline, renderExplanation, sideBySide } from '../explain/text.js';
import { runEmu } from '../pipeline.js';
import { checkWritable, renderHtml, writeHtml } from '../report/html.js';
import { checkArchOption, UsageError } from './errors.js';

export interface ExplainArgs {
  elf: string[];
  arch?: string;
  timeout: number;
  'max-insns': number;
  color?: boolean;
  html?: string;
}

export function explainBuilder(y: Argv): Argv<ExplainArgs> {
  return y
    .positional('elf', { type: 'string', array: true, demandOption: true, describe: 'guest ELF(s); several are shown side by side' })
    .option('arch', { type: 'string', describe: `check the guest arch (${ARCH_NAMES.join(', ')}); one ELF only` })
    .option('timeout', { type: 'number', default: 10, describe: 'stop a guest after this many seconds' })
    .option('max-insns', { type: 'number', default: 0, describe: 'stop a guest after this many instructions (0: no limit)' })
    .option('html', { type: 'string', requiresArg: true, describe: 'also write the explanation as one self-contained HTML page to FILE (one ELF only)' })
    .option('color', { type: 'boolean', describe: 'force colour on or off (default: on for a terminal, unless NO_COLOR is set)' })
    .example('$0 explain guests/build/rv64/null-write.elf', 'walk the frame records out loud')
    .example('$0 explain --html crash.html guests/build/rv64/null-write.elf', 'the same as an HTML page with the stack drawn')
    .example('$0 explain guests/build/aarch64/null-write.elf guests/build/rv64/null-write.elf', 'two ABIs side by side') as unknown as Argv<ExplainArgs>;
}

export async function explainCommand(a: ExplainArgs): Promise<number> {
  checkArchOption(a.arch);
  if (a.arch !== undefined && a.elf.length > 1) throw new UsageError('--arch checks a single ELF; give one ELF with it');
  const html = a.html === undefined ? undefined : String(a.html);
  if (html !== undefined) {
    if (html === '') throw new UsageError('--html expects a file name');
    if (a.elf.length > 1) throw new UsageError('--html draws a single ELF; give one ELF with it');
    checkWritable(html);
  }
  const colour = a.color ?? (process.stdout.isTTY && !process.env.NO_COLOR && a.elf.length === 1);
  const columns: string[][] = [];
  for (const elf of a.elf.map(String)) {
    let ex: Promise<Explanation> | null = null;
    const crash = await runEmu({
      path: elf,
      arch: a.arch,
      argv: [elf],
      env: [],
      limits: { timeoutMs: a.timeout * 1000, maxInsns: a['max-insns'] },
      output: () => {},
      inspect: (c, mem) => {
        ex = explain(c, mem);
      },
    });
    // A guest that exited on its own has no fault to explain: the headline says so.
    const done = ex ? await ex : null;
    columns.push(done ? renderExplanation(done, colour ? COLOUR : PLAIN) : [explainHeadline(crash)]);
    if (html !== undefined) writeHtml(html, renderHtml({ crash, explanation: done, elf }));
  }
  const out = columns.length === 1 ? columns[0]! : sideBySide(columns);
  writeSync(1, out.join('\n') + '\n');
  return 0;
}
