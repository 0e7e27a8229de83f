// The crashlab command line: yargs commands, one top-level catch, exit statuses.

import yargs from 'yargs';
import { setLogLevel } from '../log.js';
import { addr2lineBuilder, addr2lineCommand, type Addr2lineArgs } from './addr2line.js';
import { emuBuilder, emuCommand, type EmuArgs } from './emu.js';
import { explainBuilder, explainCommand, type ExplainArgs } from './explain.js';
import { goldenBuilder, goldenCommand, type GoldenArgs } from './golden.js';
import { workerMain } from '../golden/pool.js';
import { symbolizeBuilder, symbolizeCommand, type SymbolizeArgs } from './symbolize.js';
import { reportError, UsageError } from './errors.js';
import { versionText } from './version.js';

export async function main(argv: string[]): Promise<number> {
  // Handled before yargs so that only --version loads the engine (to name its version).
  if (argv.length === 1 && argv[0] === '--version') {
    process.stdout.write(versionText());
    return 0;
  }
  let code = 0;
  const parser = yargs(argv)
    .scriptName('crashlab')
    .usage('$0 <command> [options]\n\nRun foreign-arch ELF guests under Unicorn and print an exact, symbolized backtrace at the fault.')
    .parserConfiguration({ 'populate--': true })
    .option('log-level', { type: 'string', default: process.env.CRASHLAB_LOG ?? 'warn', describe: 'log level for crashlab\'s own logs on stderr', global: true })
    .middleware((a) => setLogLevel(String(a['log-level'])))
    .command<EmuArgs>('emu <elf> [args..]', 'run a guest ELF and report how it stopped', emuBuilder, async (a) => {
      const extra = (a as unknown as { '--'?: string[] })['--'] ?? [];
      code = await emuCommand({ ...a, args: [...(a.args ?? []), ...extra].map(String) });
    })
    .command<SymbolizeArgs>('symbolize <elf>', 'annotate "#N 0x<hex>" frame lines read on stdin', symbolizeBuilder, async (a) => {
      code = await symbolizeCommand(a);
    })
    .command<Addr2lineArgs>('addr2line [addresses..]', 'file:line (and function) of addresses, like binutils addr2line', addr2lineBuilder, async (a) => {
      code = await addr2lineCommand(a);
    })
    .command<ExplainArgs>('explain <elf..>', 'walk the frame-pointer chain out loud (several ELFs: side by side)', explainBuilder, async (a) => {
      code = await explainCommand(a);
    })
    .command<GoldenArgs>('golden [dir]', 'run the case catalog on every arch and compare with the goldens', goldenBuilder, async (a) => {
      code = await goldenCommand(a);
    })
    .command('__golden-worker', false, (y) => y, async () => {
      code = await workerMain();
    })
    .demandCommand(1, 'give a command (try: crashlab emu --help)')
    .strict()
    .help()
    .version(false)
    .option('version', { type: 'boolean', describe: 'Show the crashlab and engine versions' })
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });
  try {
    await parser.parseAsync();
  } catch (e) {
    return reportError(e);
  }
  return code;
}
