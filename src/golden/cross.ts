// The cross-arch view: for each case, what should not depend on the arch (the outcome,
// the sequence of function names, file:line of each frame, the guest's output) compared
// across the arches it runs on. A difference a manifest does not declare is what makes a
// one-arch compiler or runtime bug stand out.

import type { ArchName } from '../arch/index.js';
import { ASPECTS, type Aspect, type Case } from './catalog.js';
import type { RunResult } from './run.js';

export interface CrossCell {
  arch: ArchName;
  outcome: string;
  /** Aspects where this arch differs from the others without a declaration. */
  undeclared: Aspect[];
  /** Aspects where it differs as the manifest declares. */
  declared: Aspect[];
}

export interface CrossRow {
  caseName: string;
  cells: CrossCell[];
  details: string[];
}

function outcomeText(r: RunResult): string {
  if (r.outcome.kind === 'signal') return r.outcome.signal!;
  if (r.outcome.kind === 'exit') return `exit ${r.outcome.exitCode}`;
  return r.outcome.kind;
}

function aspectValue(r: RunResult, a: Aspect): string {
  switch (a) {
    case 'signal':
      return outcomeText(r);
    case 'functions':
      return r.functions.map((f) => f ?? '??').join(' > ');
    case 'lines':
      return r.lines.map((l) => l ?? '??').join(' > ');
    case 'output':
      return r.stdout;
  }
}

const short = (s: string) => JSON.stringify(s.length > 70 ? s.slice(0, 67) + '...' : s);

export function crossArch(c: Case, results: RunResult[]): CrossRow {
  const byArch = new Map(results.filter((r) => r.caseName === c.name).map((r) => [r.arch as ArchName, r]));
  const arches = c.arches.filter((a) => byArch.has(a));
  const cells: CrossCell[] = arches.map((arch) => ({ arch, outcome: outcomeText(byArch.get(arch)!), undeclared: [], declared: [] }));
  const details: string[] = [];
  for (const aspect of ASPECTS) {
    const declaredFor = new Set(c.differences.filter((d) => d.aspects.includes(aspect)).flatMap((d) => d.arches));
    // The reference: the most common value among the arches that declare nothing here.
    const counts = new Map<string, number>();
    for (const a of arches) if (!declaredFor.has(a)) counts.set(aspectValue(byArch.get(a)!, aspect), (counts.get(aspectValue(byArch.get(a)!, aspect)) ?? 0) + 1);
    let ref: string | null = null;
    let best = 0;
    for (const a of arches) {
      const v = aspectValue(byArch.get(a)!, aspect);
      const n = counts.get(v) ?? 0;
      if (n > best) {
        best = n;
        ref = v;
      }
    }
    if (ref === null) continue;
    for (const cell of cells) {
      const v = aspectValue(byArch.get(cell.arch)!, aspect);
      if (v === ref) continue;
      if (declaredFor.has(cell.arch)) cell.declared.push(aspect);
      else {
        cell.undeclared.push(aspect);
        details.push(`${c.name}/${cell.arch}: ${aspect} ${short(v)} where the other arches have ${short(ref)}`);
      }
    }
  }
  return { caseName: c.name, cells, details };
}

export function crossTable(rows: CrossRow[], arches: readonly ArchName[]): string {
  const head = ['case', ...arches];
  const body = rows.map((r) => [
    r.caseName,
    ...arches.map((a) => {
      const c = r.cells.find((x) => x.arch === a);
      if (!c) return '-';
      return c.outcome + (c.undeclared.length ? ` !${c.undeclared.join(',')}` : c.declared.length ? ' ~' : '');
    }),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cols: string[]) => cols.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const lines = [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...body.map(fmt)];
  lines.push('', '~ a difference the case declares; !aspect a difference it does not declare');
  const details = rows.flatMap((r) => r.details);
  if (details.length) lines.push('', 'undeclared differences:', ...details.map((d) => '  ' + d));
  return lines.join('\n') + '\n';
}
