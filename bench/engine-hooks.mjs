#!/usr/bin/env node
// What the engine's hooks cost on the fast path (Unicorn >= 2.1, virtual TLB with a fill
// hook, exit checks as crashlab sets them): ns per iteration of an x86-64 loop that stores
// and loads one stack slot (`mov [rsp-8], rax; mov rbx, [rsp-16]; dec rcx; jnz`), with
//   - no other hook (crashlab's normal run),
//   - a code hook on one address the loop never reaches (a breakpoint elsewhere),
//   - a code hook on the loop's first instruction (a breakpoint inside the loop),
//   - a memory-write hook on 8 bytes the loop never writes (a watchpoint elsewhere),
//   - a memory-write hook on the slot the loop writes (a watchpoint on it),
// and what one TLB fill costs (a loop storing to a new page every iteration, over more
// pages than the TLB holds: one JS fill per iteration).
// Also the same loop on Unicorn's default CPU TLB with a memory hook (what 2.0.1-style
// hooks cost), for reference. Usage: npm run build && node bench/engine-hooks.mjs

import { Engine, UC_ARCH, UC_HOOK, UC_MODE, X86_REG, unicornVersion } from '../dist/src/emu/unicorn.js';

const N = 5_000_000n;
/** CPU time of this process in ms (steadier than wall time on a busy machine). */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const CODE = 0x1000n;
const STACK = 0x100000n;
// mov [rsp-8], rax ; mov rbx, [rsp-16] ; dec rcx ; jnz -15 ; int3
const LOOP = Buffer.from('48894424f8' + '488b5c24f0' + '48ffc9' + '75f1' + 'cc', 'hex');

function engine(virtual) {
  const e = Engine.open(UC_ARCH.X86, UC_MODE.MODE_64);
  e.memMap(CODE, 0x1000n, 5);
  e.memWrite(CODE, new Uint8Array(LOOP));
  e.memMap(STACK, 0x100000n, 3);
  e.regWrite(X86_REG.RSP, STACK + 0x80000n);
  e.onInterrupt(() => e.stop());
  if (virtual) {
    e.useVirtualTlb(true);
    e.onTlbFill((page) => (Number(page) < 0x2000 ? 5 : 3));
  }
  return e;
}

function time(e, n) {
  e.regWrite(X86_REG.RCX, n);
  const t0 = cpuMs();
  e.start(CODE, 0xffffffffffffffffn, 0, 0);
  const ms = cpuMs() - t0;
  if (e.regRead(X86_REG.RCX) !== 0n) throw new Error('loop did not finish');
  return (ms * 1e6) / Number(n);
}

if (!Engine.open(UC_ARCH.X86, UC_MODE.MODE_64).hasVirtualTlb) {
  console.error(`bench: Unicorn ${unicornVersion()} has no virtual TLB (run scripts/setup.sh for 2.1)`);
  process.exit(2);
}
console.log(`Unicorn ${unicornVersion()}, x86-64 store + load loop, ${N} iterations (ns per iteration of CPU time, median of 3)`);
const median = (xs) => [...xs].sort((a, b) => a - b)[1];
const rows = [
  ['no hook (crashlab\'s normal run)', true, () => {}],
  ['code hook on an address the loop never runs', true, (e) => e.onCode(0x1800n, 0x1800n, () => {})],
  ['code hook on the loop\'s first instruction', true, (e) => e.onCode(CODE, CODE, () => {})],
  ['write hook on 8 bytes the loop never writes', true, (e) => e.onMemAccess(UC_HOOK.MEM_WRITE, STACK + 0x1000n, STACK + 0x1007n, () => {})],
  ['write hook on the slot the loop writes', true, (e) => e.onMemAccess(UC_HOOK.MEM_WRITE, STACK + 0x80000n - 8n, STACK + 0x80000n - 1n, () => {})],
  ['default CPU TLB, no hook', false, () => {}],
  ['default CPU TLB, one memory-invalid hook', false, (e) => e.onMemInvalid(() => false)],
];
for (const [label, virtual, add] of rows) {
  const samples = [];
  for (let i = 0; i < 3; i++) {
    const e = engine(virtual);
    add(e);
    const n = label.includes('first instruction') || label.includes('the slot') ? N / 10n : N;
    samples.push(time(e, n));
    e.close();
  }
  console.log(`${label.padEnd(46)} ${median(samples).toFixed(1).padStart(8)} ns`);
}

// One JS TLB fill: store to the next page each iteration, over 64 MiB (16384 pages, more
// than the TLB's 256 entries, which never grows here: nothing flushes it).
// add rax, 4096 ; and rax, rsi ; mov [rbx+rax], rcx ; dec rdx ; jnz -21 ; int3
const STRIDE = Buffer.from('480500100000' + '4821f0' + '48890c03' + '48ffca' + '75ef' + 'cc', 'hex');
const fillSamples = [];
let fills = 0;
for (let i = 0; i < 3; i++) {
  const e = Engine.open(UC_ARCH.X86, UC_MODE.MODE_64);
  e.memMap(CODE, 0x1000n, 5);
  e.memWrite(CODE, new Uint8Array(STRIDE));
  e.memMap(0x10000000n, 64n << 20n, 3);
  e.regWrite(X86_REG.RBX, 0x10000000n);
  e.regWrite(X86_REG.RSI, (64n << 20n) - 1n);
  const n = 200_000n;
  e.regWrite(X86_REG.RDX, n);
  e.useVirtualTlb(true);
  fills = 0;
  e.onTlbFill((page) => {
    fills++;
    return Number(page) < 0x2000 ? 5 : 3;
  });
  e.onInterrupt(() => e.stop());
  const t0 = cpuMs();
  e.start(CODE, 0xffffffffffffffffn, 0, 0);
  fillSamples.push(((cpuMs() - t0) * 1e6) / fills);
  e.close();
}
console.log(`${'one TLB fill through the JS hook'.padEnd(46)} ${median(fillSamples).toFixed(0).padStart(8)} ns (${fills} fills per run)`);
