// The host's poll(2), the one libc call Node.js does not offer synchronously: it lets the
// Linux layer wait for host input (crashlab's own stdin) with a deadline instead of
// blocking the emulator thread in read(2) until the input comes.
//
// Besides src/emu/unicorn.ts (the engine), this is the only module that uses koffi; it
// binds one libc function. Where libc cannot be loaded, `pollReadable` returns null and
// callers fall back to a blocking read.

import koffi from 'koffi';

type PollFn = (fds: { fd: number; events: number; revents: number }, nfds: number, timeout: number) => number;

let pollFn: PollFn | null | undefined;

function bind(): PollFn | null {
  if (pollFn !== undefined) return pollFn;
  try {
    const libc = koffi.load('libc.so.6');
    const pollfd = koffi.struct('crashlab_pollfd', { fd: 'int', events: 'short', revents: 'short' });
    pollFn = libc.func('int poll(_Inout_ crashlab_pollfd *fds, unsigned long nfds, int timeout)') as unknown as PollFn;
    void pollfd;
  } catch {
    pollFn = null;
  }
  return pollFn;
}

const POLLIN = 0x1;
/** POLLERR | POLLHUP | POLLNVAL: a read will not block (it returns 0 or fails). */
const POLLDONE = 0x8 | 0x10 | 0x20;
const MAX_WAIT_MS = 0x7fffffff;

/**
 * Wait until a read of host descriptor `fd` would not block, for at most `timeoutMs`
 * (Infinity: no limit). True when it is ready, false when the time ran out, null when poll
 * is unavailable. EINTR is retried within the same deadline.
 */
export function pollReadable(fd: number, timeoutMs: number): boolean | null {
  const poll = bind();
  if (!poll) return null;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const left = deadline - performance.now();
    const wait = timeoutMs === Infinity ? -1 : Math.max(0, Math.min(MAX_WAIT_MS, Math.ceil(left)));
    const pfd = { fd, events: POLLIN, revents: 0 };
    const n = poll(pfd, 1, wait);
    if (n > 0) return (pfd.revents & (POLLIN | POLLDONE)) !== 0;
    if (n === 0 && (timeoutMs !== Infinity && deadline - performance.now() <= 0)) return false;
    // n < 0 (EINTR) or an early wake-up: wait again for what is left.
  }
}
