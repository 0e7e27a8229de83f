// One place that turns any error into one line and an exit status (design: 2 for usage or
// input errors, 1 for crashlab's own failures). A stack trace only with CRASHLAB_DEBUG=1.

import { ARCH_NAMES } from '../arch/index.js';
import { InputError } from '../loader/errors.js';
import { UnicornUnavailableError } from '../emu/unicorn.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** The --arch option every command takes: one of the four spellings, or absent. */
export function checkArchOption(arch: string | undefined): void {
  if (arch !== undefined && !(ARCH_NAMES as readonly string[]).includes(arch)) {
    throw new UsageError(`unknown --arch '${arch}' (expected one of ${ARCH_NAMES.join(', ')})`);
  }
}

export function exitCodeFor(e: unknown): number {
  return e instanceof InputError || e instanceof UsageError ? 2 : 1;
}

export function describeError(e: unknown): string {
  if (e instanceof InputError || e instanceof UsageError || e instanceof UnicornUnavailableError) return e.message;
  const msg = e instanceof Error ? e.message : String(e);
  return `internal error: ${msg.split('\n')[0]}`;
}

export function reportError(e: unknown): number {
  process.stderr.write(`crashlab: ${describeError(e)}\n`);
  if (process.env.CRASHLAB_DEBUG && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
  return exitCodeFor(e);
}
