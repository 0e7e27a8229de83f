// `crashlab emu`: run a guest to its exit, fault, trap or time limit and report.

import { statSync, writeSync } from 'node:fs';
import type { Argv } from 'yargs';
import { ARCH_NAMES } from '../arch/index.js';
import { runEmu, type Crash, type GuestMemory } from '../pipeline.js';
import { explain, type Explanation } from '../explain/explain.js';
import { checkWritable, renderHtml, writeHtml } from '../report/html.js';
import { toJson } from '../report/json.js';
import { renderText } from '../report/text.js';
import { log } from '../log.js';
import { parseSize } from '../linux/mm.js';
import { checkOutDir, writeChanges, type OverlayChanges } from '../linux/vfs/export.js';
import { checkArchOption, UsageError } from './errors.js';

export interface EmuArgs {
  elf: string;
  args: string[];
  arch?: string;
  json: boolean;
  timeout: number;
  'max-insns': number;
  env: string[];
  html?: string;
  fs?: string;
  'fs-limit': string;
  'fs-out'?: string;
  strict: boolean;
  'mem-limit': string;
  break?: string;
  stepi: number;
}

export function emuBuilder(y: Argv): Argv<EmuArgs> {
  return y
    .positional('elf', { type: 'string', describe: 'statically linked guest ELF (aarch64, x86-64, rv32 or rv64)', demandOption: true })
    .positional('args', { type: 'string', array: true, describe: 'arguments passed to the guest (after --)', default: [] })
    .option('arch', { type: 'string', describe: `check the guest arch (${ARCH_NAMES.join(', ')}); read from the ELF header when omitted` })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout (guest output captured into it)' })
    .option('timeout', { type: 'number', default: 10, describe: 'stop the guest after this many seconds (outcome timeout, exit 124)' })
    .option('max-insns', { type: 'number', default: 0, describe: 'stop the guest after this many instructions (0: no limit)' })
    .option('env', { type: 'string', array: true, nargs: 1, default: [], describe: 'environment entry K=V for the guest (repeatable; empty by default)' })
    .option('fs', { type: 'string', requiresArg: true, describe: 'directory the guest sees as / (read-only: its writes go to a private overlay); without it the guest starts from an empty root' })
    .option('fs-limit', { type: 'string', default: '256M', describe: "most bytes the guest's file-system overlay holds (ENOSPC beyond; bytes, or with K/M/G)" })
    .option('fs-out', { type: 'string', requiresArg: true, describe: 'after the run, write what the guest changed in its file system to DIR (new or empty; deletions as .wh.<name> files)' })
    .option('strict', { type: 'boolean', default: false, describe: 'stop the guest (SIGSYS) at a system call crashlab does not implement, instead of returning ENOSYS' })
    .option('mem-limit', { type: 'string', default: '1G', describe: 'most guest memory mapped at once (bytes, or with K/M/G)' })
    .option('break', { type: 'string', requiresArg: true, describe: 'stop the first time the guest is about to execute SYMBOL, SYMBOL+OFF or ADDR and report the stack there (outcome breakpoint, exit 0)' })
    .option('stepi', { type: 'number', default: 0, describe: 'with --break: then execute this many instructions one at a time (into calls, as gdb stepi) and report there' })
    .option('html', { type: 'string', requiresArg: true, describe: 'also write the crash as one self-contained HTML page to FILE' })
    .example('$0 emu guests/build/rv64/null-write.elf', 'run a guest and print where it crashed')
    .example('$0 emu --arch rv64 prog.elf -- arg1 arg2', 'check the arch and pass arguments')
    .example('$0 emu --json prog.elf', 'machine-readable report on stdout')
    .example('$0 emu --fs ./data prog.elf -- /input.txt', 'let the guest read files under ./data, as /')
    .example('$0 emu --break bt_leaf+4 prog.elf', 'report the stack when the guest reaches bt_leaf+4')
    .example('$0 emu --fs-out out/ prog.elf', 'write what the guest changed in its files to out/')
    .example('$0 emu --html crash.html prog.elf', 'also draw the crash as an HTML page') as unknown as Argv<EmuArgs>;
}

export async function emuCommand(a: EmuArgs): Promise<number> {
  checkArchOption(a.arch);
  if (!(a.timeout > 0) || !Number.isFinite(a.timeout)) throw new UsageError(`--timeout must be a positive number of seconds, got ${a.timeout}`);
  if (!Number.isInteger(a['max-insns']) || a['max-insns'] < 0) throw new UsageError(`--max-insns must be a non-negative integer, got ${a['max-insns']}`);
  for (const e of a.env) if (!e.includes('=')) throw new UsageError(`--env expects K=V, got '${e}'`);
  const memLimit = parseSize(String(a['mem-limit']));
  if (memLimit === null || memLimit < 1n << 20n) throw new UsageError(`--mem-limit expects a size of at least 1M (bytes, or a number with K, M or G), got '${a['mem-limit']}'`);
  if (!Number.isInteger(a.stepi) || a.stepi < 0) throw new UsageError(`--stepi must be a non-negative integer, got ${a.stepi}`);
  if (a.stepi && a.break === undefined) throw new UsageError('--stepi needs --break');
  if (a.break !== undefined && String(a.break).trim() === '') throw new UsageError('--break expects SYMBOL, SYMBOL+OFF or an address');
  const fsLimit = parseSize(String(a['fs-limit']));
  if (fsLimit === null || fsLimit < 1n << 16n || fsLimit > BigInt(Number.MAX_SAFE_INTEGER)) throw new UsageError(`--fs-limit expects a size of at least 64K (bytes, or a number with K, M or G), got '${a['fs-limit']}'`);
  const fsOut = a['fs-out'] === undefined ? undefined : String(a['fs-out']);
  if (fsOut !== undefined) {
    const why = fsOut === '' ? 'expects a directory' : checkOutDir(fsOut);
    if (why) throw new UsageError(`--fs-out ${fsOut}: ${why}`);
  }
  let fsChanges: OverlayChanges | null = null;
  const fsRoot = a.fs === undefined ? null : String(a.fs);
  if (fsRoot !== null) {
    let st;
    try {
      st = statSync(fsRoot);
    } catch {
      throw new UsageError(`--fs ${fsRoot}: no such directory`);
    }
    if (!st.isDirectory()) throw new UsageError(`--fs ${fsRoot}: not a directory`);
  }
  const html = a.html === undefined ? undefined : String(a.html);
  if (html !== undefined) {
    if (html === '') throw new UsageError('--html expects a file name');
    checkWritable(html);
  }
  let ex: Promise<Explanation> | null = null;
  const captured: { 1: Uint8Array[]; 2: Uint8Array[] } = { 1: [], 2: [] };
  const output = a.json
    ? (fd: 1 | 2, d: Uint8Array) => void captured[fd].push(d.slice())
    : (fd: 1 | 2, d: Uint8Array) => void writeSync(fd, d);
  const warnings: string[] = [];
  const crash = await runEmu({
    path: a.elf,
    arch: a.arch,
    argv: [a.elf, ...a.args.map(String)],
    env: a.env,
    limits: { timeoutMs: a.timeout * 1000, maxInsns: a['max-insns'] },
    output,
    fsRoot,
    fsLimit: Number(fsLimit),
    ...(fsOut !== undefined ? { onFileSystem: (c: OverlayChanges) => void (fsChanges = c) } : {}),
    strict: a.strict,
    memLimit,
    warn: (m) => warnings.push(m),
    ...(a.break !== undefined ? { breakAt: { at: String(a.break), stepi: a.stepi } } : {}),
    ...(html !== undefined
      ? {
          inspect: (c: Crash, mem: GuestMemory) => {
            ex = explain(c, mem);
          },
        }
      : {}),
  });
  if (warnings.length) {
    const l = await log();
    for (const w of warnings) l.warn(w);
  }
  if (a.json) {
    const text = (fd: 1 | 2) => Buffer.concat(captured[fd]).toString('utf8');
    writeSync(1, JSON.stringify(toJson(crash, text(1), text(2)), null, 2) + '\n');
  } else {
    writeSync(2, renderText(crash));
  }
  if (html !== undefined) writeHtml(html, renderHtml({ crash, explanation: ex ? await ex : null, elf: a.elf }));
  if (fsOut !== undefined && fsChanges) {
    let report;
    try {
      report = writeChanges(fsOut, fsChanges);
    } catch (e) {
      throw new UsageError(`--fs-out ${fsOut}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    for (const s of report.skipped) writeSync(2, `crashlab: --fs-out: not written: ${s}\n`);
  }
  return crash.outcome.exitCode;
}
