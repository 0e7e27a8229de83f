// The frame-pointer walker: one loop for every arch, driven by the arch table's record
// layout and frame-0 rule, reading guest memory only through `read`.
//
// Frame #0 is where the guest stopped. Every later frame is a return address, found in
// the record fp points at (or, for frame #1 only, where frame #0 left it when it has no
// record of its own). The walk stops at the first thing it cannot trust and says why.

import type { Arch } from '../arch/index.js';
import type { Frame0Context } from '../arch/types.js';

export const MAX_FRAMES = 256;

export type FrameRule = 'fault' | 'frame-record' | 'link-register' | 'stack-slot';

export interface RawFrame {
  index: number;
  pc: bigint;
  rule: FrameRule;
  /** Frame pointer of this frame, when the chain established one. */
  fp: bigint | null;
  /** For a record-found frame: the address of the record it was read from (the callee's fp). */
  recordAt?: bigint;
  /** For a frame-0 rule: where its return address was read (x30, ra, [rsp]). */
  where?: string;
}

export type StopReason =
  | 'reached-main'
  | 'end-of-chain'
  | 'null-fp'
  | 'misaligned-fp'
  | 'fp-not-increasing'
  | 'unreadable-record'
  | 'return-address-outside-code'
  | 'truncated';

export interface WalkStop {
  reason: StopReason;
  /** One line for people: what was seen, with the values involved. */
  detail: string;
}

export interface WalkResult {
  frames: RawFrame[];
  stop: WalkStop;
}

export interface WalkInput {
  arch: Arch;
  pc: bigint;
  sp: bigint;
  fp: bigint;
  link?: bigint;
  read(addr: bigint, n: number): Uint8Array | null;
  isCode(addr: bigint): boolean;
  functionAt(addr: bigint): { start: bigint; end: bigint } | null;
  /** True for a pc in the function the trace ends at (main); its frame is the last. */
  isOutermost?(pc: bigint): boolean;
  maxFrames?: number;
}

const hex = (v: bigint) => '0x' + v.toString(16);

export function readPointer(read: WalkInput['read'], addr: bigint, size: 4 | 8): bigint | null {
  if (addr < 0n) return null;
  const b = read(addr, size);
  if (!b || b.length < size) return null;
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

export function walk(input: WalkInput): WalkResult {
  const { arch } = input;
  const ptr = arch.ptrSize;
  const max = input.maxFrames ?? MAX_FRAMES;
  const outermost = input.isOutermost ?? (() => false);
  const readPtr = (a: bigint) => readPointer(input.read, a, ptr);
  const frames: RawFrame[] = [{ index: 0, pc: input.pc, rule: 'fault', fp: input.fp }];
  const done = (reason: StopReason, detail: string): WalkResult => ({ frames, stop: { reason, detail } });

  if (outermost(input.pc)) return done('reached-main', 'reached main');

  const ctx: Frame0Context = {
    pc: input.pc,
    sp: input.sp,
    fp: input.fp,
    link: input.link,
    func: input.functionAt(input.pc),
    isCode: input.isCode,
    readPtr,
    readBytes: (a, n) => (a < 0n ? null : input.read(a, n)),
  };
  const caller = arch.frame0Caller(ctx);
  if (caller) {
    const ra = caller.returnAddress;
    if (!input.isCode(ra)) {
      return done('return-address-outside-code', `frame #0 has no record and its return address ${hex(ra)} (${caller.where}) is outside every executable segment`);
    }
    frames.push({ index: 1, pc: ra, rule: caller.rule, fp: input.fp, where: caller.where });
    if (outermost(ra - 1n)) return done('reached-main', 'reached main');
  }

  let fp = input.fp;
  while (frames.length < max) {
    if (fp === 0n) return done('null-fp', 'frame pointer is zero');
    if (fp % BigInt(ptr) !== 0n) return done('misaligned-fp', `frame pointer ${hex(fp)} is not ${ptr}-byte aligned`);
    const recCallerFp = fp + BigInt(arch.record.callerFp);
    const recRa = fp + BigInt(arch.record.returnAddress);
    const callerFp = readPtr(recCallerFp);
    const ra = readPtr(recRa);
    if (callerFp === null || ra === null) {
      return done('unreadable-record', `frame record at ${hex(fp < recCallerFp ? fp : recCallerFp)} (fp ${hex(fp)}) is not readable`);
    }
    if (ra === 0n) return done('end-of-chain', `return address in the record at fp ${hex(fp)} is zero (outermost frame)`);
    if (!input.isCode(ra)) return done('return-address-outside-code', `return address ${hex(ra)} in the record at fp ${hex(fp)} is outside every executable segment`);
    frames.push({ index: frames.length, pc: ra, rule: 'frame-record', fp: callerFp, recordAt: fp });
    if (outermost(ra - 1n)) return done('reached-main', 'reached main');
    if (callerFp !== 0n && callerFp <= fp) {
      return done('fp-not-increasing', `caller's frame pointer ${hex(callerFp)} is not above ${hex(fp)} (stack grows down)`);
    }
    fp = callerFp;
  }
  return done('truncated', `backtrace truncated at ${max} frames`);
}
