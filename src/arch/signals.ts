// Linux signal numbers. The four guest arches share these values (the generic table and
// x86-64 agree on every signal crashlab reports), so they live in one place.

export const SIGNALS = {
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGSYS: 31,
} as const;

export type Signal = keyof typeof SIGNALS;

export function signalNumber(s: Signal): number {
  return SIGNALS[s];
}
