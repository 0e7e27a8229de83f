// Run the real CLI (bin/crashlab) as a subprocess, as a user would.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = path.join(ROOT, 'bin/crashlab');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function crashlab(args: string[], opts: { timeoutMs?: number; input?: string; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    input: opts.input ?? '',
    env: { ...process.env, CRASHLAB_DEBUG: '', ...opts.env },
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

export function guest(arch: string, name: string): string {
  return `guests/build/${arch}/${name}.elf`;
}

/** The frame lines of a text report, parsed. */
export function parseFrames(stderr: string): { index: number; pc: bigint; fn: string; offset: bigint | null; mark: string | null }[] {
  const out = [];
  for (const line of stderr.split('\n')) {
    const m = /^#(\d+)\s+0x([0-9a-f]+) in (\S+?)(?:\+0x([0-9a-f]+))?(?: at \S+)?(?: \(inlined\))?(?: \[([a-z ]+)\])?$/.exec(line);
    if (m) out.push({ index: Number(m[1]), pc: BigInt('0x' + m[2]), fn: m[3]!, offset: m[4] ? BigInt('0x' + m[4]) : null, mark: m[5] ?? null });
  }
  return out;
}
