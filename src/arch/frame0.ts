// Frame #0 without a frame record of its own.
//
// A frame-pointer walk assumes every frame on the chain saved a record (caller fp, return
// address) and pointed fp at it. Frame #0 may not have: a fault at a function's first
// instruction or anywhere in its prologue before fp is set, a leaf compiled without a
// record (-momit-leaf-frame-pointer), the tail of an epilogue after the record was
// restored, or a call through a NULL function pointer (pc 0, in no function at all). In
// each case the caller is still found where the call left it: the link register (x30, ra)
// or the stack slot the call pushed (x86-64 [sp]). Only frame #0 uses this rule; fp is left
// untouched, since such a frame never changed it, so frame #2 onwards follow the record
// chain as usual.

import type { Frame0Caller, Frame0Context } from './types.js';

/** Bytes of a function's start scanned for the instruction that sets fp. */
export const PROLOGUE_SCAN_BYTES = 64;

export interface PrologueDecoder {
  /** Offset of the instruction that points fp at the new record, or null if there is none. */
  frameSetupOffset(code: Uint8Array): number | null;
  /** Whether the bytes at pc are a return instruction (the epilogue restored the record). */
  isReturn(bytes: Uint8Array): boolean;
}

/** Read a function's prologue bytes (bounded by its size and the scan limit). */
export function prologueBytes(ctx: Frame0Context): Uint8Array | null {
  if (!ctx.func) return null;
  const len = Number(ctx.func.end - ctx.func.start);
  return ctx.readBytes(ctx.func.start, Math.max(0, Math.min(PROLOGUE_SCAN_BYTES, len)));
}

/**
 * Whether frame #0 has established its own record: its function has a frame-setup
 * instruction, pc is past it, and pc is not on a return instruction.
 */
export function frame0HasRecord(ctx: Frame0Context, dec: PrologueDecoder): { has: boolean; setup: number | null } {
  if (!ctx.func || !ctx.isCode(ctx.pc)) return { has: false, setup: null };
  const code = prologueBytes(ctx);
  const setup = code ? dec.frameSetupOffset(code) : null;
  if (setup === null) return { has: false, setup };
  if (ctx.pc <= ctx.func.start + BigInt(setup)) return { has: false, setup };
  const here = ctx.readBytes(ctx.pc, 4) ?? ctx.readBytes(ctx.pc, 2);
  if (here && dec.isReturn(here)) return { has: false, setup };
  return { has: true, setup };
}

/** The frame-0 rule of arches with a link register (aarch64 x30, RISC-V ra). */
export function linkRegisterFrame0(ctx: Frame0Context, dec: PrologueDecoder, linkName: string): Frame0Caller | null {
  if (ctx.link === undefined) return null;
  if (frame0HasRecord(ctx, dec).has) return null;
  return { returnAddress: ctx.link, rule: 'link-register', where: linkName };
}

export function u32le(b: Uint8Array, off: number): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}

export function u16le(b: Uint8Array, off: number): number {
  return b[off]! | (b[off + 1]! << 8);
}
