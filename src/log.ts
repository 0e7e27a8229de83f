// Structured logs (pino) go to stderr, never into reports. Created on first use so a run
// that logs nothing does not pay for loading pino.

import { createRequire } from 'node:module';
import type { Logger } from 'pino';

let level = process.env.CRASHLAB_LOG ?? 'warn';
let logger: Logger | null = null;

export function setLogLevel(l: string): void {
  level = l;
  if (logger) logger.level = l;
}

export async function log(): Promise<Logger> {
  if (!logger) {
    // require, not import(): the CLI bundle runs from a V8 code cache (bin/crashlab), where
    // a dynamic import() has no module loader to call.
    const { pino, destination } = createRequire(import.meta.url)('pino') as typeof import('pino');
    logger = pino({ name: 'crashlab', level, base: undefined }, destination({ fd: 2, sync: true }));
  }
  return logger;
}
