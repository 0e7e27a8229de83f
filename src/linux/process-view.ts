// What /proc/<pid> shows of the one guest process the kernel runs today
// (src/linux/vfs/proc.ts ProcessView): a process model with several processes gives each
// process a view of its own, and /proc/self follows whichever process asks.

import { GUEST_PID } from './ids.js';
import type { LinuxKernel } from './kernel.js';
import type { ProcessView, ProcSource } from './vfs/proc.js';
import { Struct } from './structs.js';
import type { ExeImage } from './vfs/proc.js';

export function processView(k: LinuxKernel, exe: ExeImage): ProcessView {
  return {
    pid: GUEST_PID,
    ppid: 1,
    get ctx() {
      return k.fsctx;
    },
    exe,
    argv: k.opts.argv ?? [k.opts.exePath],
    env: k.opts.env ?? [],
    mem: k.mem,
    auxv: () => {
      const words = k.auxv.flatMap(([t, v]) => [BigInt(t), v]);
      const s = new Struct(words.length * k.ptr);
      words.forEach((w, i) => s.ptr(i * k.ptr, w, k.ptr));
      return s.bytes;
    },
    fds: () => k.fds.list().map((fd) => ({ fd, file: k.fds.file(fd)! })),
    signals: () => k.signals.masks(),
    threads: () => 1,
  };
}

/** /proc's view of the machine with one process. */
export function singleProcess(k: LinuxKernel, view: () => ProcessView, engineVersion: string): ProcSource {
  return {
    current: view,
    get: (pid) => (pid === GUEST_PID ? view() : undefined),
    pids: () => [GUEST_PID],
    system: {
      arch: k.arch,
      engineVersion,
      memTotal: k.mem.limit,
      memUsed: () => k.mem.mapped,
      fsUsed: () => BigInt(k.vfs.budget.used),
      uptimeNs: () => k.clock.peek(),
    },
  };
}
