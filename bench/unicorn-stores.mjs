#!/usr/bin/env node
// Micro-benchmark: what one guest store, one load and one loop iteration (one translated
// block) cost in the loaded Unicorn (x86-64 guest, 20M iterations of `mov [rsp-8], rax`,
// `mov rbx, [rsp-8]` or `add rax, rbx`, each in a dec/jnz loop), in each TLB configuration
// the library has:
//   default TLB           Unicorn's default (every page RWX to the MMU): 2.0.1's only mode;
//   virtual TLB + fill    UC_TLB_VIRTUAL with a fill hook answering each page's permissions;
//   + no exit checks      the same with the per-access exit checks off: crashlab's fast path
//                         (src/emu/unicorn.ts, "Exit checks").
// ns per iteration, CPU time of this process. Run it once per library to compare:
//   npm run build && node bench/unicorn-stores.mjs
//   CRASHLAB_LIBUNICORN=libunicorn.so.2 node bench/unicorn-stores.mjs     # Debian 12's 2.0.1

import { Engine, UC_ARCH, UC_MODE, X86_REG, unicornVersion } from '../dist/src/emu/unicorn.js';

const N = 20_000_000n;
const LOOPS = {
  // mov [rsp-8], rax ; dec rcx ; jnz -10 ; int3
  store: '48894424f848ffc975f6cc',
  // mov rbx, [rsp-8] ; dec rcx ; jnz -10 ; int3
  load: '488b5c24f848ffc975f6cc',
  // add rax, rbx ; dec rcx ; jnz -8 ; int3   (registers only: the cost of a block)
  register: '4801d848ffc975f8cc',
};
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const probe = Engine.open(UC_ARCH.X86, UC_MODE.MODE_64);
const virtual = probe.hasVirtualTlb;
probe.close();
const CONFIGS = virtual ? ['default TLB', 'virtual TLB + fill', '+ no exit checks'] : ['default TLB'];

console.log(`Unicorn ${unicornVersion()}, ${N} iterations per loop, ns per iteration (CPU time)`);
console.log(`${'loop'.padEnd(9)} ${CONFIGS.map((c) => c.padStart(20)).join('')}`);
for (const [name, hex] of Object.entries(LOOPS)) {
  const cells = [];
  for (const config of CONFIGS) {
    const e = Engine.open(UC_ARCH.X86, UC_MODE.MODE_64);
    e.memMap(0x1000n, 0x1000n, 5);
    e.memWrite(0x1000n, new Uint8Array(Buffer.from(hex, 'hex')));
    e.memMap(0x100000n, 0x100000n, 3);
    e.regWrite(X86_REG.RSP, 0x180000n);
    e.regWrite(X86_REG.RCX, N);
    e.onInterrupt(() => e.stop());
    if (config !== 'default TLB') {
      e.useVirtualTlb(true);
      e.onTlbFill((page) => (Number(page) < 0x2000 ? 5 : 3));
    }
    // A hook that needs the exit checks keeps them on (a code hook on an address never run).
    if (config === 'virtual TLB + fill') e.onCode(0x1800n, 0x1800n, () => {});
    const t0 = cpuMs();
    e.start(0x1000n, 0xffffffffffffffffn, 0, 0);
    const ms = cpuMs() - t0;
    if (e.regRead(X86_REG.RCX) !== 0n) throw new Error(`${name}: loop did not finish`);
    e.close();
    cells.push(((ms * 1e6) / Number(N)).toFixed(1));
  }
  console.log(`${name.padEnd(9)} ${cells.map((c) => c.padStart(20)).join('')}`);
}
