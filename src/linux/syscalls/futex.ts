// futex(2) for one thread: a wake has nobody to wake, and a wait that the value does not
// refuse can only be ended by another thread, so it is a deadlock.

import type { HandlerTable } from './types.js';

const FUTEX_WAIT = 0;
const FUTEX_WAKE = 1;
const FUTEX_WAIT_BITSET = 9;
const FUTEX_WAKE_BITSET = 10;
/** FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME are above the command bits. */
const FUTEX_CMD_MASK = 0x7f;

export const futexCalls: HandlerTable = {
  futex: (k, a) => {
    const op = k.int(a[1]!) & FUTEX_CMD_MASK;
    if (op === FUTEX_WAKE || op === FUTEX_WAKE_BITSET) return 0n;
    if (op === FUTEX_WAIT || op === FUTEX_WAIT_BITSET) {
      const raw = k.mem.readUser(a[0]!, 4);
      if (!raw) return 'EFAULT';
      const cur = new DataView(raw.buffer, raw.byteOffset).getUint32(0, true);
      if (cur !== Number(a[2]! & 0xffffffffn)) return 'EAGAIN';
      if (a[3] !== 0n) return 'ETIMEDOUT';
      return { block: { what: `futex wait on 0x${a[0]!.toString(16)}` } };
    }
    return 'ENOSYS';
  },
};
