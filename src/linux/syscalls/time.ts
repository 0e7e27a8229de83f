// Time and randomness on the virtual clock (src/linux/clock.ts): the same values on every
// run. Sleeping moves the virtual clock and costs no host time.

import { NS_PER_SEC } from '../clock.js';
import type { LinuxKernel } from '../kernel.js';
import { encodePair, Struct } from '../structs.js';
import { MAX_IO, type HandlerTable, type Ret } from './types.js';

const CLOCK_REALTIME = 0;
const CLOCK_REALTIME_COARSE = 5;
const CLOCK_TAI = 11;
const MAX_CLOCK_ID = 11;

function sleep(k: LinuxKernel, req: bigint): Ret {
  const raw = k.mem.readUser(req, 2 * k.ptr);
  if (!raw) return 'EFAULT';
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
  const sec = k.ptr === 8 ? dv.getBigInt64(0, true) : BigInt(dv.getInt32(0, true));
  const nsec = k.ptr === 8 ? dv.getBigInt64(8, true) : BigInt(dv.getInt32(4, true));
  if (sec < 0n || nsec < 0n || nsec >= NS_PER_SEC) return 'EINVAL';
  k.clock.advance(sec * NS_PER_SEC + nsec);
  return 0n;
}

export const timeCalls: HandlerTable = {
  clock_gettime: (k, a) => {
    const id = k.int(a[0]!);
    if (id < 0 || id > MAX_CLOCK_ID) return 'EINVAL';
    const wall = id === CLOCK_REALTIME || id === CLOCK_REALTIME_COARSE || id === CLOCK_TAI;
    const ns = wall ? k.clock.realtime() : k.clock.now();
    return k.put(a[1]!, encodePair(ns / NS_PER_SEC, ns % NS_PER_SEC, k.ptr)) ? 0n : 'EFAULT';
  },
  clock_getres: (k, a) => (a[1] === 0n || k.put(a[1]!, encodePair(0n, 1n, k.ptr)) ? 0n : 'EFAULT'),
  gettimeofday: (k, a) => {
    const ns = k.clock.realtime();
    if (a[0] !== 0n && !k.put(a[0]!, encodePair(ns / NS_PER_SEC, (ns % NS_PER_SEC) / 1000n, k.ptr))) return 'EFAULT';
    if (a[1] !== 0n && !k.put(a[1]!, new Struct(8).bytes)) return 'EFAULT';
    return 0n;
  },
  time: (k, a) => {
    const sec = k.clock.realtime() / NS_PER_SEC;
    if (a[0] !== 0n && !k.put(a[0]!, new Struct(8).u64(0, sec).bytes)) return 'EFAULT';
    return sec;
  },
  nanosleep: (k, a) => sleep(k, a[0]!),
  clock_nanosleep: (k, a) => sleep(k, a[2]!),
  getrandom: (k, a) => {
    const n = Number(a[1]! > BigInt(MAX_IO) ? BigInt(MAX_IO) : a[1]!);
    return k.put(a[0]!, k.random.bytes(n)) ? BigInt(n) : 'EFAULT';
  },
};
