// Input errors: a file crashlab cannot run, described in one line (exit status 2).

export class InputError extends Error {
  override name = 'InputError';
}

export function hex(v: bigint | number): string {
  return '0x' + v.toString(16);
}
