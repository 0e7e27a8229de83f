// The teaching demos quote only output the golden suite checks (scripts/demo-quotes.mjs):
// if crashlab's output changes, the goldens change and this test names each stale quote.

import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';

test('every demo quotes crashlab only through goldens, and every quote is current', (t) => {
  const demos = readdirSync(path.join(ROOT, 'docs/demos')).filter((f) => f.endsWith('.md'));
  t.true(demos.length >= 4, `${demos.length} demos`);
  for (const d of demos) {
    t.regex(readFileSync(path.join(ROOT, 'docs/demos', d), 'utf8'), /<!-- golden goldens\/\S+\.txt/, `${d} quotes a golden`);
  }
  const r = spawnSync(process.execPath, ['scripts/demo-quotes.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^\d+ quotes, 0 stale$/m);
});
