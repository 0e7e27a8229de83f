// Signal system calls: dispositions and masks (src/linux/signal-state.ts), the alternate
// stack, and signals the program sends (to itself: there is one process).

import { GUEST_PID } from '../ids.js';
import type { LinuxKernel } from '../kernel.js';
import { Struct } from '../structs.js';
import type { HandlerTable, Ret } from './types.js';

const SS_DISABLE = 2;

function selfSignal(k: LinuxKernel, ids: number[], sig: number, how: string): Ret {
  if (sig < 0 || sig > 64) return 'EINVAL';
  if (ids.some((id) => id !== GUEST_PID)) return 'ESRCH';
  return k.signals.raise(sig, how) ?? 0n;
}

export const signalCalls: HandlerTable = {
  rt_sigaction: (k, a) => k.signals.sigaction(k.int(a[0]!), a[1]!, a[2]!, a[3]!),
  rt_sigprocmask: (k, a) => {
    const r = k.signals.sigprocmask(k.int(a[0]!), a[1]!, a[2]!, a[3]!);
    if (typeof r === 'object') k.ret(0n); // the call succeeded; the signal it unblocked acts now
    return r;
  },
  sigaltstack: (k, a) => (a[1] === 0n || k.put(a[1]!, new Struct(3 * k.ptr).u32(k.ptr, SS_DISABLE).bytes) ? 0n : 'EFAULT'),
  tgkill: (k, a) => selfSignal(k, [k.int(a[0]!), k.int(a[1]!)], k.int(a[2]!), 'tgkill'),
  tkill: (k, a) => selfSignal(k, [k.int(a[0]!)], k.int(a[1]!), 'tkill'),
  kill: (k, a) => {
    const pid = k.int(a[0]!);
    return selfSignal(k, [pid === 0 || pid === -1 || pid === -GUEST_PID ? GUEST_PID : pid], k.int(a[1]!), 'kill');
  },
};
