// Exact frame #0 for memory faults.
//
// Unicorn 2.0.1 reports a memory fault with pc at the start of the translated block, not
// at the faulting instruction (../shared/unicorn-notes.md; 2.1 fixes this). A code hook
// makes the pc exact but costs a JS call per instruction, so the normal run has none.
// Instead, when a run stops on such a fault, the guest (deterministic from its image,
// arguments and environment) is replayed in a second engine with a code hook bounded to
// that one block's bytes. The last instruction the hook saw before the same fault is the
// faulting instruction. The replay writes no output.

import type { GuestImage } from '../loader/image.js';
import { Machine, type MemoryFault, type RunLimits, type StopEvent } from './machine.js';

export interface PcRefinement {
  pc: bigint;
  exact: boolean;
  /** Why the pc could not be made exact, when it could not. */
  note?: string;
}

/** Largest block bound used when the engine cannot tell the block's size. */
const FALLBACK_BLOCK_BYTES = 64n;

function sameFault(a: MemoryFault | undefined, b: MemoryFault | undefined): boolean {
  return !!a && !!b && a.access === b.access && a.cause === b.cause && a.address === b.address && a.size === b.size;
}

export function refineFaultPc(
  first: Machine,
  image: GuestImage,
  argv: readonly string[],
  env: readonly string[],
  event: Extract<StopEvent, { kind: 'signal' }>,
  limits: RunLimits,
  functionEnd: bigint | null,
): PcRefinement {
  const blockStart = event.pc;
  const cached = first.blockSize(blockStart);
  let bytes: bigint;
  if (cached !== null && cached > 0) bytes = BigInt(cached);
  else if (functionEnd !== null && functionEnd > blockStart) bytes = min(functionEnd - blockStart, FALLBACK_BLOCK_BYTES);
  else bytes = FALLBACK_BLOCK_BYTES;
  let r = replay(image, argv, env, event, limits, blockStart, bytes);
  // The fallback bound was too short for the block the replay actually ran: once more, exact.
  if (r.blockBytes !== null && r.blockBytes > bytes) r = replay(image, argv, env, event, limits, blockStart, r.blockBytes);
  if (!r.reproduced) return { pc: blockStart, exact: false, note: 'replay did not reproduce the fault; pc is the start of its block' };
  if (r.last === null) return { pc: blockStart, exact: false, note: 'replay saw no instruction of the faulting block' };
  return { pc: r.last, exact: true };
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);

function replay(
  image: GuestImage,
  argv: readonly string[],
  env: readonly string[],
  event: Extract<StopEvent, { kind: 'signal' }>,
  limits: RunLimits,
  blockStart: bigint,
  bytes: bigint,
): { reproduced: boolean; last: bigint | null; blockBytes: bigint | null } {
  const m = Machine.create(image, argv, env, () => {});
  try {
    let last: bigint | null = null;
    let blockBytes: bigint | null = null;
    m.onCode(blockStart, blockStart + bytes - 1n, (addr) => {
      last = addr;
    });
    m.onBlock(blockStart, blockStart, (_addr, size) => {
      blockBytes = BigInt(size);
    });
    const again = m.run(limits);
    const reproduced = again.kind === 'signal' && sameFault(again.memory, event.memory);
    return { reproduced, last, blockBytes };
  } finally {
    m.close();
  }
}
