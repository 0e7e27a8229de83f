// One golden run: a case on one arch, in this process, rendered exactly as a user sees
// `crashlab emu` (exit status, the guest's stdout, its stderr followed by the report),
// plus the facts the cross-arch view compares.

import path from 'node:path';
import { parseSize } from '../linux/mm.js';
import { InputError } from '../loader/errors.js';
import { runEmu } from '../pipeline.js';
import { renderText } from '../report/text.js';
import type { Job } from './catalog.js';

export interface RunResult {
  caseName: string;
  arch: string;
  /** The golden file's content. */
  text: string;
  outcome: { kind: string; signal?: string; exitCode: number };
  functions: (string | null)[];
  lines: (string | null)[];
  stdout: string;
  ms: number;
  /** Set when the run itself failed (bad ELF, missing file): the golden then holds this. */
  error?: string;
}

interface EmuOptions {
  timeoutMs: number;
  maxInsns: number;
  env: string[];
  strict: boolean;
  /** Relative to the folder the display paths are relative to. */
  fs: string | null;
  /** --fs-limit in bytes, when the case sets one. */
  fsLimit?: number;
}

export function parseEmuOptions(opts: readonly string[]): EmuOptions {
  const out: EmuOptions = { timeoutMs: 10_000, maxInsns: 0, env: [], strict: false, fs: null };
  for (let i = 0; i < opts.length; i++) {
    const o = opts[i]!;
    if (o === '--strict') {
      out.strict = true;
      continue;
    }
    const v = opts[i + 1];
    if (v === undefined) throw new InputError(`option ${o} needs a value`);
    if (o === '--max-insns' && /^\d+$/.test(v)) out.maxInsns = Number(v);
    else if (o === '--timeout' && Number(v) > 0) out.timeoutMs = Number(v) * 1000;
    else if (o === '--env' && v.includes('=')) out.env.push(v);
    else if (o === '--fs') out.fs = v;
    else if (o === '--fs-limit' && parseSize(v) !== null) out.fsLimit = Number(parseSize(v));
    else throw new InputError(`unsupported case option ${o} ${v} (known: --max-insns N, --timeout S, --env K=V, --fs DIR, --fs-limit SIZE, --strict)`);
    i++;
  }
  return out;
}

const quote = (s: string) => (/^[\w./=:+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export function commandLine(job: Job): string {
  const parts = ['crashlab', 'emu', ...job.options, job.display, ...(job.args.length ? ['--', ...job.args] : [])];
  return '$ ' + parts.map(quote).join(' ');
}

function section(name: string, body: string): string {
  if (body === '') return `--- ${name}\n`;
  return `--- ${name}\n${body}${body.endsWith('\n') ? '' : '\n\\ no newline at end\n'}`;
}

export async function runJob(job: Job): Promise<RunResult> {
  const began = performance.now();
  const out: { 1: Uint8Array[]; 2: Uint8Array[] } = { 1: [], 2: [] };
  const warnings: string[] = [];
  const head = commandLine(job) + '\n';
  try {
    const o = parseEmuOptions(job.options);
    const crash = await runEmu({
      path: job.elf,
      displayPath: job.display,
      argv: [job.display, ...job.args],
      env: o.env,
      limits: { timeoutMs: o.timeoutMs, maxInsns: o.maxInsns },
      strict: o.strict,
      fsRoot: o.fs === null ? null : path.resolve(job.elf.slice(0, job.elf.length - job.display.length), o.fs),
      fsLimit: o.fsLimit,
      output: (fd, d) => void out[fd].push(d.slice()),
      warn: (m) => warnings.push(m),
    });
    const stdout = Buffer.concat(out[1]).toString('utf8');
    const stderr = Buffer.concat(out[2]).toString('utf8') + renderText(crash);
    const text =
      head +
      `exit status ${crash.outcome.exitCode}\n` +
      section('stdout', stdout) +
      section('stderr', stderr) +
      (warnings.length ? section('warnings', warnings.join('\n') + '\n') : '');
    const o2 = crash.outcome;
    return {
      caseName: job.caseName,
      arch: job.arch,
      text,
      outcome: o2.kind === 'signal' ? { kind: o2.kind, signal: o2.signal, exitCode: o2.exitCode } : { kind: o2.kind, exitCode: o2.exitCode },
      functions: crash.frames.map((f) => f.function),
      lines: crash.frames.map((f) => (f.file ? `${f.file}:${f.line}` : null)),
      stdout,
      ms: performance.now() - began,
    };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return {
      caseName: job.caseName,
      arch: job.arch,
      text: head + `error: ${msg}\n`,
      outcome: { kind: 'error', exitCode: e instanceof InputError ? 2 : 1 },
      functions: [],
      lines: [],
      stdout: '',
      ms: performance.now() - began,
      error: msg,
    };
  }
}
