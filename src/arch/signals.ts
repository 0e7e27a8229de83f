// Linux signal numbers. The four guest arches share these values (the generic table and
// x86-64 agree on signals 1-31; signal(7)), so they live in one place.

export const SIGNALS = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
} as const;

export type Signal = keyof typeof SIGNALS;

export function signalNumber(s: Signal): number {
  return SIGNALS[s];
}

const BY_NUMBER = new Map<number, Signal>(Object.entries(SIGNALS).map(([k, v]) => [v, k as Signal]));

/** The standard signal with this number (1-31), or null. */
export function signalByNumber(n: number): Signal | null {
  return BY_NUMBER.get(n) ?? null;
}

/** Signals whose default action is to be ignored, or to stop/continue a process (signal(7)). */
export const DEFAULT_IGNORED: ReadonlySet<Signal> = new Set(['SIGCHLD', 'SIGCONT', 'SIGURG', 'SIGWINCH', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU']);
