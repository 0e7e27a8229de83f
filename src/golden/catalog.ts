// The case catalog: one JSON manifest per behaviour under guests/cases/, expanded into
// (case, arch) runs. Format: guests/cases/README.md.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ARCH_NAMES, isArchName, type ArchName } from '../arch/index.js';
import { InputError } from '../loader/errors.js';

export type Aspect = 'signal' | 'functions' | 'lines' | 'output';
export const ASPECTS: readonly Aspect[] = ['signal', 'functions', 'lines', 'output'];

export type Expectation = { outcome: 'signal'; signal: string } | { outcome: 'exit'; exitCode: number } | { outcome: 'timeout' };

export interface Difference {
  arches: ArchName[];
  aspects: Aspect[];
  why: string;
}

export interface Case {
  name: string;
  program: string;
  description: string;
  args: string[];
  stdin: string;
  options: string[];
  arches: ArchName[];
  expect: Expectation;
  perArch: Partial<Record<ArchName, Expectation>>;
  differences: Difference[];
}

export interface Job {
  caseName: string;
  arch: ArchName;
  /** Absolute path of the ELF to run. */
  elf: string;
  /** How reports and goldens name it: relative to the folder above the cases' folder. */
  display: string;
  args: string[];
  stdin: string;
  options: string[];
}

function fail(file: string, msg: string): never {
  throw new InputError(`${file}: ${msg}`);
}

function parseExpectation(file: string, v: unknown, where: string): Expectation {
  const o = v as Record<string, unknown>;
  if (!o || typeof o !== 'object') fail(file, `${where} must be an object`);
  if (o.outcome === 'signal' && typeof o.signal === 'string' && /^SIG[A-Z0-9]+$/.test(o.signal)) return { outcome: 'signal', signal: o.signal };
  if (o.outcome === 'exit' && Number.isInteger(o.exitCode)) return { outcome: 'exit', exitCode: o.exitCode as number };
  if (o.outcome === 'timeout') return { outcome: 'timeout' };
  return fail(file, `${where}: expected {"outcome":"signal","signal":"SIG…"}, {"outcome":"exit","exitCode":N} or {"outcome":"timeout"}`);
}

const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');

export function parseCase(file: string, text: string): Case {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    return fail(file, `not valid JSON: ${(e as Error).message}`);
  }
  const name = path.basename(file, '.json');
  if (typeof raw.program !== 'string' || !/^[\w.-]+$/.test(raw.program)) fail(file, '"program" must name an ELF under build/<arch>/');
  const arches = (raw.arches ?? ARCH_NAMES) as unknown;
  if (!strings(arches) || !(arches as string[]).every(isArchName)) fail(file, `"arches" must list some of ${ARCH_NAMES.join(', ')}`);
  for (const k of ['args', 'options'] as const) if (raw[k] !== undefined && !strings(raw[k])) fail(file, `"${k}" must be a list of strings`);
  const perArch: Case['perArch'] = {};
  for (const [a, v] of Object.entries((raw.perArch ?? {}) as Record<string, unknown>)) {
    if (!isArchName(a)) fail(file, `perArch: unknown arch '${a}'`);
    perArch[a] = parseExpectation(file, v, `perArch.${a}`);
  }
  const differences: Difference[] = [];
  for (const [i, d] of ((raw.differences ?? []) as Record<string, unknown>[]).entries()) {
    if (!strings(d.arches) || !(d.arches as string[]).every(isArchName)) fail(file, `differences[${i}].arches must list arches`);
    if (!strings(d.aspects) || !(d.aspects as string[]).every((x) => (ASPECTS as readonly string[]).includes(x))) {
      fail(file, `differences[${i}].aspects must be some of ${ASPECTS.join(', ')}`);
    }
    if (typeof d.why !== 'string' || !d.why) fail(file, `differences[${i}].why must say why`);
    differences.push({ arches: d.arches as ArchName[], aspects: d.aspects as Aspect[], why: d.why });
  }
  return {
    name,
    program: raw.program as string,
    description: typeof raw.description === 'string' ? raw.description : '',
    args: (raw.args as string[]) ?? [],
    stdin: typeof raw.stdin === 'string' ? raw.stdin : '',
    options: (raw.options as string[]) ?? [],
    arches: arches as ArchName[],
    expect: parseExpectation(file, raw.expect, 'expect'),
    perArch,
    differences,
  };
}

export function loadCases(dir: string): Case[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    throw new InputError(`${dir}: cannot read the case catalog folder`);
  }
  if (files.length === 0) throw new InputError(`${dir}: no case manifests (*.json)`);
  return files.sort().map((f) => parseCase(path.join(dir, f), readFileSync(path.join(dir, f), 'utf8')));
}

export function expectationFor(c: Case, arch: ArchName): Expectation {
  return c.perArch[arch] ?? c.expect;
}

/** "*" matches any run of characters; without "*" the pattern matches as a substring. */
export function matches(pattern: string, text: string): boolean {
  if (!pattern.includes('*')) return text.includes(pattern);
  const re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return re.test(text);
}

export interface Selection {
  arch?: ArchName;
  filter?: string;
  /** 1-based shard number and shard count. */
  shard?: { k: number; n: number };
}

/** The cases this run covers: sharding splits whole cases, in name order, round-robin. */
export function selectCases(cases: Case[], sel: Selection): Case[] {
  let out = cases;
  if (sel.shard) out = out.filter((_, i) => i % sel.shard!.n === sel.shard!.k - 1);
  return out;
}

export function jobsFor(cases: Case[], casesDir: string, sel: Selection): Job[] {
  const root = path.dirname(path.dirname(path.resolve(casesDir)));
  const buildDir = path.join(path.dirname(path.resolve(casesDir)), 'build');
  const jobs: Job[] = [];
  for (const c of selectCases(cases, sel)) {
    for (const arch of c.arches) {
      if (sel.arch && arch !== sel.arch) continue;
      if (sel.filter && !matches(sel.filter, c.name) && !matches(sel.filter, `${c.name}/${arch}`)) continue;
      const elf = path.join(buildDir, arch, `${c.program}.elf`);
      jobs.push({ caseName: c.name, arch, elf, display: path.relative(root, elf).split(path.sep).join('/'), args: c.args, stdin: c.stdin, options: c.options });
    }
  }
  return jobs;
}
