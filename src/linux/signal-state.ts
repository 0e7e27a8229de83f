// Signal dispositions, the blocked mask and pending signals, and what delivery does.
//
// crashlab does not yet run guest signal handlers: a signal whose action is to terminate
// (the default for most) or to run a handler ends the run as that signal, and the report
// says when a handler was installed but not run. Ignored signals (SIG_IGN, or a default
// action of "ignore") are dropped; blocked ones stay pending until unblocked.

import { DEFAULT_IGNORED, signalByNumber } from '../arch/signals.js';
import type { Errno } from './errno.js';
import type { AddressSpace } from './mm.js';
import { Struct } from './structs.js';
import type { SyscallOutcome } from './syscalls/types.js';

const SIG_DFL = 0n;
const SIG_IGN = 1n;
/** SIGKILL and SIGSTOP can be neither blocked nor caught. */
const UNBLOCKABLE = (1n << 8n) | (1n << 18n);
const SIG_BLOCK = 0;
const SIG_UNBLOCK = 1;
const SIG_SETMASK = 2;

export class SignalState {
  private readonly actions = new Map<number, { handler: bigint; raw: Uint8Array }>();
  private blocked = 0n;
  private pending = 0n;

  constructor(
    private readonly mem: AddressSpace,
    private readonly ptr: 4 | 8,
    /** Whether the kernel's struct sigaction has sa_restorer (x86-64, aarch64). */
    private readonly restorer: boolean,
    private readonly warn?: (msg: string) => void,
  ) {}

  /** A signal sent to the process: a stop outcome, or null when it does not act now. */
  raise(sig: number, how: string): SyscallOutcome | null {
    if (sig === 0) return null;
    const name = signalByNumber(sig);
    const bit = 1n << BigInt(sig - 1);
    if (name !== 'SIGKILL' && name !== 'SIGSTOP' && this.blocked & bit) {
      this.pending |= bit;
      return null;
    }
    return this.deliver(sig, how);
  }

  private deliver(sig: number, how: string): SyscallOutcome | null {
    const name = signalByNumber(sig);
    if (name === null) {
      this.warn?.(`real-time signal ${sig} (${how}) was discarded: crashlab delivers only signals 1-31`);
      return null;
    }
    const handler = name === 'SIGKILL' || name === 'SIGSTOP' ? SIG_DFL : this.actions.get(sig)?.handler ?? SIG_DFL;
    if (handler === SIG_IGN) return null;
    if (handler === SIG_DFL) {
      if (DEFAULT_IGNORED.has(name)) return null;
      return { kind: 'signal', signal: name, reason: `${name} raised by the program (${how})`, pc: 'after' };
    }
    return {
      kind: 'signal',
      signal: name,
      reason: `${name} raised by the program (${how}); its handler at 0x${handler.toString(16)} was not run (crashlab does not deliver signals to handlers)`,
      pc: 'after',
    };
  }

  /** The masks /proc/<pid>/status shows: pending, blocked, ignored (SIG_IGN) and caught (a handler). */
  masks(): { pending: bigint; blocked: bigint; ignored: bigint; caught: bigint } {
    let ignored = 0n;
    let caught = 0n;
    for (const [sig, a] of this.actions) {
      const bit = 1n << BigInt(sig - 1);
      if (a.handler === SIG_IGN) ignored |= bit;
      else if (a.handler !== SIG_DFL) caught |= bit;
    }
    return { pending: this.pending, blocked: this.blocked, ignored, caught };
  }

  /** rt_sigaction(2): the kernel's struct sigaction is copied as the guest gave it. */
  sigaction(sig: number, act: bigint, oact: bigint, setsize: bigint): bigint | Errno {
    if (setsize !== 8n) return 'EINVAL';
    const name = signalByNumber(sig);
    if (sig < 1 || sig > 64) return 'EINVAL';
    const size = this.ptr * (this.restorer ? 3 : 2) + 8;
    if (act !== 0n && (name === 'SIGKILL' || name === 'SIGSTOP')) return 'EINVAL';
    let next: { handler: bigint; raw: Uint8Array } | null = null;
    if (act !== 0n) {
      const raw = this.mem.readUser(act, size);
      if (!raw) return 'EFAULT';
      let handler = 0n;
      for (let i = this.ptr - 1; i >= 0; i--) handler = (handler << 8n) | BigInt(raw[i]!);
      next = { handler, raw };
    }
    if (oact !== 0n && !this.mem.writeUser(oact, this.actions.get(sig)?.raw ?? new Uint8Array(size))) return 'EFAULT';
    if (next) this.actions.set(sig, next);
    return 0n;
  }

  /**
   * rt_sigprocmask(2). Unblocking a pending signal delivers it: the outcome is returned
   * with `ret` (the call's own result, 0) for the caller to store first.
   */
  sigprocmask(how: number, set: bigint, oset: bigint, setsize: bigint): bigint | Errno | SyscallOutcome {
    if (setsize !== 8n) return 'EINVAL';
    let next = this.blocked;
    if (set !== 0n) {
      const raw = this.mem.readUser(set, 8);
      if (!raw) return 'EFAULT';
      const v = new DataView(raw.buffer, raw.byteOffset).getBigUint64(0, true);
      if (how === SIG_BLOCK) next = this.blocked | v;
      else if (how === SIG_UNBLOCK) next = this.blocked & ~v;
      else if (how === SIG_SETMASK) next = v;
      else return 'EINVAL';
    }
    if (oset !== 0n && !this.mem.writeUser(oset, new Struct(8).u64(0, this.blocked).bytes)) return 'EFAULT';
    this.blocked = next & ~UNBLOCKABLE;
    const ready = this.pending & ~this.blocked;
    for (let s = 1; ready && s <= 64; s++) {
      const bit = 1n << BigInt(s - 1);
      if (!(ready & bit)) continue;
      this.pending &= ~bit;
      const out = this.deliver(s, 'pending until rt_sigprocmask unblocked it');
      if (out) return out;
    }
    return 0n;
  }
}
