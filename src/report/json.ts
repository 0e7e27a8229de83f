// The JSON report: exactly one object on stdout. Schema: docs/json-report.md.

import type { Crash } from '../pipeline.js';

export const SCHEMA_VERSION = 1;

const hex = (v: bigint) => '0x' + v.toString(16);

export interface JsonReport {
  schema: number;
  /** The emulator that ran the guest, e.g. "unicorn 2.1.4". */
  engine: string;
  arch: string;
  elf: string;
  outcome: { kind: string; signal?: string; signo?: number; exitCode: number; hang?: boolean };
  fault: null | {
    pc: string;
    pcExact: boolean;
    reason: string;
    address?: string;
    access?: string;
    size?: number;
    cause?: string;
  };
  frames: {
    index: number;
    pc: string;
    function: string | null;
    offset: number | null;
    file: string | null;
    line: number | null;
    column: number | null;
    inlined: boolean;
    rule: string;
    evidence: string;
  }[];
  debugInfo: boolean;
  backtrace: null | { complete: boolean; stop: string; detail: string };
  registers: Record<string, string>;
  unsupportedSyscalls: { name: string; number: number; count: number }[];
  stdout: string;
  stderr: string;
}

export function toJson(c: Crash, stdout: string, stderr: string): JsonReport {
  const o = c.outcome;
  return {
    schema: SCHEMA_VERSION,
    engine: c.engine,
    arch: c.arch,
    elf: c.elf,
    outcome:
      o.kind === 'signal'
        ? { kind: o.kind, signal: o.signal, signo: o.signo, exitCode: o.exitCode }
        : o.kind === 'timeout' && o.hang
          ? { kind: o.kind, exitCode: o.exitCode, hang: true }
          : { kind: o.kind, exitCode: o.exitCode },
    fault: c.fault && {
      pc: hex(c.fault.pc),
      pcExact: c.fault.pcExact,
      reason: c.fault.reason,
      ...(c.fault.memory && {
        address: hex(c.fault.memory.address),
        access: c.fault.memory.access,
        size: c.fault.memory.size,
        cause: c.fault.memory.cause,
      }),
    },
    frames: c.frames.map((f) => ({
      index: f.index,
      pc: hex(f.pc),
      function: f.function,
      offset: f.offset === null ? null : Number(f.offset),
      file: f.file,
      line: f.line || null,
      column: f.column || null,
      inlined: f.inlined,
      rule: f.rule,
      evidence: f.evidence,
    })),
    debugInfo: c.debugInfo,
    backtrace: c.stop && {
      complete: c.complete,
      stop: c.stop.reason,
      detail: c.stop.detail,
    },
    registers: Object.fromEntries(c.registers.map((r) => [r.name, hex(r.value)])),
    unsupportedSyscalls: c.unsupportedSyscalls.map((u) => ({ name: u.name, number: u.number, count: u.count })),
    stdout,
    stderr,
  };
}
