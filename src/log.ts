// Structured logs (pino) go to stderr, never into reports. Created on first use so a run
// that logs nothing does not pay for loading pino.

import type { Logger } from 'pino';

let level = process.env.CRASHLAB_LOG ?? 'warn';
let logger: Logger | null = null;

export function setLogLevel(l: string): void {
  level = l;
  if (logger) logger.level = l;
}

export async function log(): Promise<Logger> {
  if (!logger) {
    const { pino, destination } = await import('pino');
    logger = pino({ name: 'crashlab', level, base: undefined }, destination({ fd: 2, sync: true }));
  }
  return logger;
}
