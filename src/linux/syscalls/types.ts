// What a system-call handler is: a function of the kernel context and the raw argument
// registers that returns a result (bigint), an errno name, a Block (the call waits and is
// made again later), or an outcome that stops or ends the guest.

import type { Signal } from '../../arch/signals.js';
import type { Errno } from '../errno.js';
import type { Block } from '../files/file.js';
import type { LinuxKernel } from '../kernel.js';

export type SyscallOutcome =
  | { kind: 'continue' }
  | { kind: 'exit'; code: number }
  /**
   * The run ends as a signal: one the program sent itself is delivered, as Linux delivers
   * it, when the system call returns (pc after the instruction: 'after'); the --strict stop
   * is at the system-call instruction itself ('at').
   */
  | { kind: 'signal'; signal: Signal; reason: string; pc: 'at' | 'after' }
  /** The call would block forever (nothing the guest can do would end the wait). */
  | { kind: 'hang'; reason: string }
  /** The run's time ran out while the call waited for input from outside. */
  | { kind: 'timeout' };

export type Ret = bigint | Errno | Block | SyscallOutcome;
export type Handler = (k: LinuxKernel, a: readonly bigint[]) => Ret;
export type HandlerTable = Readonly<Record<string, Handler>>;

/** The largest read or write moved in one call (Linux caps at MAX_RW_COUNT, about 2 GiB; this is ample). */
export const MAX_IO = 1 << 24;
/** PATH_MAX, counting the terminating NUL. */
export const PATH_MAX = 4096;
export const AT_FDCWD = -100;

export const ok = (): Ret => 0n;
/** A descriptor number or the errno that prevented it. */
export const fdRet = (x: number | Errno): Ret => (typeof x === 'number' ? BigInt(x) : x);
