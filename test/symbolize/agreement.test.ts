// crashlab's DWARF reader against llvm-symbolizer: for every guest ELF with an oracle file
// in test/symbolize/expected/ (made by test/symbolize/make-expected.mjs from
// `llvm-symbolizer --inlines --functions=short`), every instruction address in .text must
// symbolize to exactly the same frames (function, file, line, column, innermost first),
// with `inlined` true on every frame but the last.
//
// expected/<arch>/<name>.json belongs to guests/build/<arch>/<name>.elf and
// expected/<arch>/variants/<name>.json to guests/build/<arch>/variants/<name>.elf.

import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readElf } from '../../src/loader/elf.js';
import { DwarfInfo, type SourceFrame } from '../../src/symbolize/dwarf/index.js';

// dist/test/symbolize/agreement.test.js -> repo root
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const EXPECTED = path.join(ROOT, 'test/symbolize/expected');

interface Frame {
  function: string | null;
  file: string | null;
  line: number;
  column: number;
}

/** Oracle files relative to EXPECTED, sorted: "<arch>/<name>.json", "<arch>/variants/<name>.json". */
function oracleFiles(): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(EXPECTED, rel), { withFileTypes: true })) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (e.name.endsWith('.json')) out.push(r);
    }
  };
  if (existsSync(EXPECTED)) walk('');
  return out.sort();
}

const show = (frames: Frame[]): string =>
  frames.length === 0 ? '[]' : frames.map((f) => `${f.function ?? '??'} ${f.file ?? '??'}:${f.line}:${f.column}`).join(' < ');

const MAX_REPORTED = 5;

const files = oracleFiles();
test('oracle files exist (run node test/symbolize/make-expected.mjs)', (t) => {
  t.true(files.length > 0, `no *.json under ${path.relative(ROOT, EXPECTED)}`);
});

for (const rel of files) {
  const elfRel = `guests/build/${rel.replace(/\.json$/, '.elf')}`;
  test(`${elfRel} agrees with llvm-symbolizer`, async (t) => {
    const expected = JSON.parse(readFileSync(path.join(EXPECTED, rel), 'utf8')) as Record<string, Frame[]>;
    const elf = await readElf(path.join(ROOT, elfRel));
    const info = DwarfInfo.fromElf(elf);
    if (info === null) {
      t.fail(`DwarfInfo.fromElf returned null for ${elfRel}, which has DWARF`);
      return;
    }
    const problems: string[] = [];
    let bad = 0;
    const addrs = Object.keys(expected);
    for (const a of addrs) {
      const want = expected[a]!;
      const frames: SourceFrame[] = info.lookup(BigInt(a));
      const got: Frame[] = frames.map((f) => ({ function: f.function, file: f.file, line: f.line, column: f.column }));
      let why: string | null = null;
      if (JSON.stringify(got) !== JSON.stringify(want)) why = 'frames differ';
      else {
        const flags = frames.map((f) => f.inlined);
        const ok = flags.every((v, i) => v === (i < flags.length - 1));
        if (!ok) why = `inlined flags [${flags.join(', ')}] (want true for all but the last frame)`;
      }
      if (why !== null) {
        bad++;
        if (problems.length < MAX_REPORTED) {
          problems.push(`${a}: ${why}\n    llvm:     ${show(want)}\n    crashlab: ${show(got)}`);
        }
      }
    }
    if (info.warnings.length > 0) t.log(`warnings: ${info.warnings.join('; ')}`);
    if (bad > 0) {
      t.fail(`${bad} of ${addrs.length} addresses differ; first ${problems.length}:\n  ${problems.join('\n  ')}`);
    } else {
      t.pass();
    }
  });
}
