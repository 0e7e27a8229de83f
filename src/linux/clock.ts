// The guest's virtual clock and random bytes: the same values on every run and host.
//
// Time starts at CLOCK_EPOCH_SEC (2024-01-01) and moves 1 µs per clock read, so a program
// that measures an interval sees it grow; sleeping moves it by the time slept and costs
// no host time. Random bytes (getrandom, AT_RANDOM) come from xoshiro128** with a fixed seed.

import { CLOCK_EPOCH_SEC } from './ids.js';

const TICK_NS = 1000n;
export const NS_PER_SEC = 1_000_000_000n;

export class VirtualClock {
  private ns = 0n;

  /** Monotonic nanoseconds since the start of the run; each read moves the clock one tick. */
  now(): bigint {
    this.ns += TICK_NS;
    return this.ns;
  }

  /** The current time without moving the clock (for deadlines). */
  peek(): bigint {
    return this.ns;
  }

  /** Wall-clock nanoseconds since the Unix epoch (CLOCK_REALTIME); moves the clock a tick. */
  realtime(): bigint {
    return this.now() + CLOCK_EPOCH_SEC * NS_PER_SEC;
  }

  advance(ns: bigint): void {
    if (ns > 0n) this.ns += ns;
  }
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

export class DeterministicRandom {
  private readonly st = new Uint32Array([0x9e3779b9, 0x243f6a88, 0xb7e15162, 0x13198a2e]);

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    const st = this.st;
    for (let i = 0; i < n; i += 4) {
      const r = Math.imul(rotl(Math.imul(st[1]!, 5), 7), 9) >>> 0;
      const t = (st[1]! << 9) >>> 0;
      st[2]! ^= st[0]!;
      st[3]! ^= st[1]!;
      st[1]! ^= st[2]!;
      st[0]! ^= st[3]!;
      st[2]! ^= t;
      st[3] = rotl(st[3]!, 11);
      for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (r >>> (8 * j)) & 0xff;
    }
    return out;
  }
}
