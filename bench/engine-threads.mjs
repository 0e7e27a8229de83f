#!/usr/bin/env node
// Two ways to run guest threads on Unicorn, measured on the loaded library (for the
// threads work that builds on src/emu/): each thread is a loop adding 1 to a shared
// counter in guest memory (`add qword [0x200000], 1; dec rcx; jnz; int3`), run in slices
// of SLICE iterations, round-robin over THREADS threads, as a deterministic scheduler would.
//   contexts: one engine; uc_context_save/restore around every slice;
//   engines:  one engine per thread, all mapping the same host memory (uc_mem_map_ptr).
// Times are this process's CPU time (process.cpuUsage), which other processes on a busy
// machine disturb less than wall time. Prints the time per slice switch (total minus the same iterations in one slice), the
// one-time cost of a new thread (a context, or an engine with its own translation of the
// code), and checks that the shared counter is exact in both.
// Usage: npm run build && node bench/engine-threads.mjs [--slices N] [--slice ITER] [--threads T]

import { Engine, HostMemory, UC_ARCH, UC_MODE, X86_REG, unicornVersion } from '../dist/src/emu/unicorn.js';
import { opt } from './lib.mjs';

/** CPU time of this process in ms. */
function now() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const SLICES = Number(opt('slices', 50000));
const SLICE = BigInt(opt('slice', 10));
const THREADS = Number(opt('threads', 4));
const CODE = 0x100000n;
const DATA = 0x200000n;
// add qword ptr [0x200000], 1 ; dec rcx ; jnz -14 ; int3
const LOOP = Buffer.from('48830425' + '00002000' + '01' + '48ffc9' + '75f2' + 'cc', 'hex');
const END = CODE + BigInt(LOOP.length - 1);

function engineOver(mem) {
  const e = Engine.open(UC_ARCH.X86, UC_MODE.MODE_64);
  e.memMapHost(CODE, mem.code, 5);
  e.memMapHost(DATA, mem.data, 3);
  if (e.hasVirtualTlb) {
    e.useVirtualTlb(true);
    e.onTlbFill((page) => (BigInt(page) >= DATA ? 3 : 5));
  }
  return e;
}

function sharedMemory() {
  const code = HostMemory.allocate(0x1000);
  code.bytes.set(LOOP);
  return { code, data: HostMemory.allocate(0x1000), free() { this.code.free(); this.data.free(); } };
}

const counter = (mem) => new DataView(mem.data.bytes.buffer, mem.data.bytes.byteOffset, 8).getBigUint64(0, true);

function slice(e) {
  e.regWrite(X86_REG.RCX, SLICE);
  const rc = e.start(CODE, END, 0, 0);
  if (rc !== 0 || e.regRead(X86_REG.RCX) !== 0n) throw new Error(`slice stopped early (${rc})`);
}

function baseline() {
  const mem = sharedMemory();
  const e = engineOver(mem);
  const t0 = now();
  for (let s = 0; s < SLICES; s++) slice(e);
  const ms = now() - t0;
  e.close();
  mem.free();
  return ms;
}

function withContexts() {
  const mem = sharedMemory();
  const e = engineOver(mem);
  const t0 = now();
  const ctx = [];
  for (let t = 0; t < THREADS; t++) {
    e.regWrite(X86_REG.RAX, BigInt(t));
    ctx.push(e.contextSave());
  }
  const created = now() - t0;
  const t1 = now();
  for (let s = 0; s < SLICES; s++) {
    const c = ctx[s % THREADS];
    e.contextRestore(c);
    slice(e);
    e.contextSave(c);
  }
  const ms = now() - t1;
  const ok = counter(mem) === BigInt(SLICES) * SLICE && ctx.every((c, t) => (e.contextRestore(c), e.regRead(X86_REG.RAX) === BigInt(t)));
  e.close();
  mem.free();
  return { ms, created, ok };
}

function withEngines() {
  const mem = sharedMemory();
  const t0 = now();
  const engines = [];
  for (let t = 0; t < THREADS; t++) {
    const e = engineOver(mem);
    e.regWrite(X86_REG.RAX, BigInt(t));
    engines.push(e);
  }
  const created = now() - t0;
  const t1 = now();
  for (let s = 0; s < SLICES; s++) slice(engines[s % THREADS]);
  const ms = now() - t1;
  const ok = counter(mem) === BigInt(SLICES) * SLICE && engines.every((e, t) => e.regRead(X86_REG.RAX) === BigInt(t));
  for (const e of engines) e.close();
  mem.free();
  return { ms, created, ok };
}

console.log(`Unicorn ${unicornVersion()}: ${THREADS} threads, ${SLICES} slices of ${SLICE} iterations`);
const base = baseline();
const c = withContexts();
const g = withEngines();
const per = (ms) => (((ms - base) * 1000) / SLICES).toFixed(2);
console.log(`one engine, no switching:           ${base.toFixed(0).padStart(6)} ms`);
console.log(`contexts (save/restore per slice):  ${c.ms.toFixed(0).padStart(6)} ms, ${per(c.ms)} us per switch; ${((c.created * 1000) / THREADS).toFixed(0)} us per new thread; counter ${c.ok ? 'exact' : 'WRONG'}`);
console.log(`engines (uc_mem_map_ptr, shared):   ${g.ms.toFixed(0).padStart(6)} ms, ${per(g.ms)} us per switch; ${((g.created * 1000) / THREADS).toFixed(0)} us per new thread (+ its own translations); counter ${g.ok ? 'exact' : 'WRONG'}`);
if (!c.ok || !g.ok) process.exitCode = 1;
