// Exact frame #0 for memory faults on the Unicorn 2.0.1 fallback only. On Unicorn >= 2.1
// (the engine set-up fetches) the machine's fast path has the exact pc from the refused
// TLB fill and never replays (machine.ts); the pipeline calls this only when
// !machine.fastPath.
//
// Unicorn 2.0.1 reports a memory fault with a stale pc: the start of some translated block
// on the way (the faulting block's, an earlier block chained into it, even the target of
// the call that faulted while pushing its return address), not the faulting instruction
// (../shared/unicorn-notes.md; 2.1 fixes this). The normal run has no per-instruction
// hook, so when it stops on such a fault the guest (deterministic from its image,
// arguments and environment) is replayed in a second engine in instruction-count mode
// (uc_emu_start with a count), where Unicorn updates the pc before every instruction: the
// replay's fault pc is exact. A code hook bounded to the reported block, as the notes
// suggest, is not enough: the faulting instruction need not be in that block (x86-64
// heap-overflow: reported 0x201309, faulting load at 0x2012f8 in the block before it).
// The replay writes no output and must reproduce the same fault. What the guest read from
// outside (stdin, files under --fs) is served from the first run's copy (RunInputs); the
// clock, ids and random bytes are virtual, so the replay sees what the run saw.

import type { GuestImage } from '../loader/image.js';
import { Machine, sameFault, type ProcessSpec, type RunLimits, type StopEvent } from './machine.js';

export interface PcRefinement {
  pc: bigint;
  exact: boolean;
  /** Why the pc could not be made exact, when it could not. */
  note?: string;
}

/** An instruction count no guest reaches: count mode without a limit. */
export const COUNT_EVERYTHING = Number.MAX_SAFE_INTEGER;

export function refineFaultPc(
  image: GuestImage,
  spec: ProcessSpec,
  event: Extract<StopEvent, { kind: 'signal' }>,
  limits: RunLimits,
): PcRefinement {
  // Same process, no output, no warnings, and stdin served from what the first run read.
  spec.inputs.replaying = true;
  const replay = Machine.create(image, { ...spec, output: () => {}, warn: undefined });
  try {
    const again = replay.run({ timeoutMs: limits.timeoutMs, maxInsns: limits.maxInsns || COUNT_EVERYTHING });
    if (again.kind !== 'signal' || !sameFault(again.memory, event.memory)) {
      return { pc: event.pc, exact: false, note: 'the replay did not reproduce the fault; frame #0 pc is where Unicorn reported it' };
    }
    if (!again.pcExact) return { pc: event.pc, exact: false, note: 'the replay could not place the fault exactly' };
    return { pc: again.pc, exact: true };
  } finally {
    replay.close();
  }
}
