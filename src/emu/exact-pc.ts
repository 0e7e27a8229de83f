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
  let size = first.blockSize(blockStart);
  let end: bigint;
  if (size !== null && size > 0) end = blockStart + BigInt(size);
  else end = functionEnd !== null && functionEnd > blockStart && functionEnd - blockStart <= FALLBACK_BLOCK_BYTES ? functionEnd : blockStart + FALLBACK_BLOCK_BYTES;
  const replay = Machine.create(image, argv, env, () => {});
  try {
    let last: bigint | null = null;
    replay.onCode(blockStart, end - 1n, (addr) => {
      last = addr;
    });
    const again = replay.run(limits);
    if (again.kind !== 'signal' || !sameFault(again.memory, event.memory)) {
      return { pc: blockStart, exact: false, note: 'replay did not reproduce the fault; pc is the start of its block' };
    }
    if (last === null) return { pc: blockStart, exact: false, note: 'replay saw no instruction of the faulting block' };
    return { pc: last, exact: true };
  } finally {
    replay.close();
  }
}
