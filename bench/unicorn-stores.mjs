#!/usr/bin/env node
// Micro-benchmark: what one guest load and one guest store cost in Debian's Unicorn
// (x86-64 guest, 20M iterations of `mov [rsp-8], rax` or `mov rbx, [rsp-8]` in a
// dec/jnz loop, no hooks). This isolates why store-heavy guests (every -O0 program,
// every call that saves a frame record) run far slower under Unicorn 2.0.1 than under
// qemu-user: each store takes the softmmu slow path (notdirty_write), fixed upstream in
// Unicorn 2.1. Usage: npm run build && node bench/unicorn-stores.mjs

import { Engine, UC_ARCH, UC_MODE, X86_REG, unicornVersion } from '../dist/src/emu/unicorn.js';

const N = 20_000_000n;
const LOOPS = {
  // mov [rsp-8], rax ; dec rcx ; jnz -10 ; int3
  store: '48894424f848ffc975f6cc',
  // mov rbx, [rsp-8] ; dec rcx ; jnz -10 ; int3
  load: '488b5c24f848ffc975f6cc',
  // add rax, rbx ; dec rcx ; jnz -8 ; int3   (registers only)
  register: '4801d848ffc975f8cc',
};

console.log(`Unicorn ${unicornVersion()}, ${N} iterations per loop`);
const base = {};
for (const [name, hex] of Object.entries(LOOPS)) {
  const e = Engine.open(UC_ARCH.X86, UC_MODE.MODE_64);
  e.memMap(0x1000n, 0x1000n, 5);
  e.memWrite(0x1000n, new Uint8Array(Buffer.from(hex, 'hex')));
  e.memMap(0x100000n, 0x100000n, 3);
  e.regWrite(X86_REG.RSP, 0x180000n);
  e.regWrite(X86_REG.RCX, N);
  e.onInterrupt(() => e.stop());
  const t0 = performance.now();
  e.start(0x1000n, 0xffffffffffffffffn, 0, 0);
  const ms = performance.now() - t0;
  if (e.regRead(X86_REG.RCX) !== 0n) throw new Error(`${name}: loop did not finish`);
  e.close();
  base[name] = ms;
  console.log(`${name.padEnd(9)} ${ms.toFixed(0).padStart(6)} ms  ${((ms * 1e6) / Number(N)).toFixed(1).padStart(6)} ns/iteration`);
}
console.log(`one store costs about ${(((base.store - base.register) * 1e6) / Number(N)).toFixed(0)} ns more than a register op; one load about ${(((base.load - base.register) * 1e6) / Number(N)).toFixed(1)} ns`);
