// Every system call the Linux layer answers, by name: one table per concern.

import { fsattrCalls } from './fsattr.js';
import { futexCalls } from './futex.js';
import { ioCalls } from './io.js';
import { memoryCalls } from './memory.js';
import { namespaceCalls } from './namespace.js';
import { pathCalls } from './paths.js';
import { processCalls } from './process.js';
import { signalCalls } from './signals.js';
import { timeCalls } from './time.js';
import type { HandlerTable } from './types.js';

export const HANDLERS: HandlerTable = { ...processCalls, ...signalCalls, ...timeCalls, ...memoryCalls, ...futexCalls, ...ioCalls, ...pathCalls, ...namespaceCalls, ...fsattrCalls };

/** The system calls the layer implements, by name (for tests and docs). */
export function implementedSyscalls(): string[] {
  return Object.keys(HANDLERS).sort();
}
