// The guest's standard streams: crashlab's own stdin, stdout and stderr. Output goes to the
// run's OutputSink (the terminal, or the JSON capture); input is read from the host's
// stdin without ever blocking the emulator past the run's deadline (src/host/poll.ts),
// and recorded so that a replay of the run (src/emu/exact-pc.ts) reads the same bytes.

import { readSync } from 'node:fs';
import { isatty } from 'node:tty';
import { pollReadable } from '../../host/poll.js';
import type { Errno } from '../errno.js';
import type { RunInputs } from '../fs.js';
import { encodeTermios, S_IFCHR, S_IFIFO, Struct, type StatInfo } from '../structs.js';
import { OpenFile, O_RDONLY, O_WRONLY, TCGETS, TIOCGWINSZ, type ReadResult, type WriteResult } from './file.js';
import { baseStat } from './stat.js';

/** Host stdin, read on demand and recorded for the replay. */
export class HostStdin {
  private index = 0;

  constructor(private readonly inputs: RunInputs) {
    if (!inputs.replaying) inputs.tty = { 0: isatty(0), 1: isatty(1), 2: isatty(2) };
  }

  get tty(): RunInputs['tty'] {
    return this.inputs.tty;
  }

  /** Up to max bytes if a read would not block now (empty at end of input); 'wait' if it would. */
  read(max: number): Uint8Array | 'EBADF' | 'EIO' | 'wait' {
    const inputs = this.inputs;
    if (inputs.replaying) return inputs.stdin[this.index++] ?? new Uint8Array(0);
    if (pollReadable(0, 0) === false) return 'wait';
    const buf = Buffer.alloc(Math.min(max, 1 << 16));
    for (;;) {
      let got: Uint8Array | 'EBADF' | 'EIO';
      try {
        got = new Uint8Array(buf.subarray(0, readSync(0, buf, 0, buf.length, null)));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // A non-blocking host stdin with nothing in it after all: wait for it.
        if (code === 'EAGAIN') return 'wait';
        got = code === 'EOF' ? new Uint8Array(0) : code === 'EBADF' ? 'EBADF' : 'EIO';
      }
      inputs.stdin.push(got);
      this.index++;
      return got;
    }
  }

  /** Wait up to ms for input (see Wait.hostWait); a host without poll(2) reads blocking. */
  wait(ms: number): boolean {
    return pollReadable(0, ms) ?? true;
  }
}

export interface StdioHost {
  stdin: HostStdin;
  output(fd: 1 | 2, data: Uint8Array): void;
}

/** Descriptor 0, 1 or 2 as the guest starts with it. */
export class StdStream extends OpenFile {
  constructor(
    readonly fd: 0 | 1 | 2,
    private readonly host: StdioHost,
  ) {
    // F_GETFL: stdin read-only, stdout and stderr write-only.
    super(fd === 0 ? O_RDONLY : O_WRONLY);
  }

  override get path(): string {
    return this.host.stdin.tty[this.fd] ? '/dev/tty' : `pipe:[${this.fd + 1}]`;
  }

  override read(n: number, at: number | null): ReadResult {
    if (at !== null) return 'ESPIPE';
    if (this.fd !== 0) return 'EBADF';
    const stdin = this.host.stdin;
    const r = stdin.read(n);
    if (r !== 'wait') return r;
    return { block: { what: 'a read of stdin', hostWait: (ms) => stdin.wait(ms) } };
  }

  override write(data: Uint8Array, at: number | null): WriteResult {
    if (this.fd === 0) return 'EBADF';
    if (at !== null) return 'ESPIPE';
    this.host.output(this.fd, data);
    return data.length;
  }

  override stat(): StatInfo {
    const tty = this.host.stdin.tty[this.fd];
    return { ...baseStat(), dev: tty ? 0x16n : 0xdn, ino: BigInt(this.fd + 1), mode: (tty ? S_IFCHR : S_IFIFO) | 0o600, rdev: tty ? 0x8800n : 0n, size: 0n, blocks: 0n };
  }

  override ioctl(request: number): Uint8Array | Errno {
    if (!this.host.stdin.tty[this.fd]) return 'ENOTTY';
    return terminalIoctl(request);
  }
}

/** What a terminal answers to the ioctls programs ask of one (isatty's TCGETS, the window size). */
export function terminalIoctl(request: number): Uint8Array | Errno {
  if (request === TCGETS) return encodeTermios();
  if (request === TIOCGWINSZ) return new Struct(8).u16(0, 24).u16(2, 80).bytes; // 24 rows, 80 columns
  return 'ENOTTY';
}
