// The demos under docs/demos/ quote crashlab's output only from goldens the test suite
// checks: each quote is a `text` code block right after a marker
//   <!-- golden goldens/<path>.txt[ lines A-B] -->
// `node scripts/demo-quotes.mjs` rewrites every quote from its golden (after
// `crashlab golden --update`); `node scripts/demo-quotes.mjs --check` (run by the tests)
// exits 1 and names each quote that no longer matches.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEMOS = path.join(ROOT, 'docs/demos');
const MARKER = /<!-- golden (\S+)(?: lines (\d+)-(\d+))? -->\n```text\n([\s\S]*?)```\n/g;

export function quoteOf(file, a, b) {
  let lines = readFileSync(path.join(ROOT, file), 'utf8').replace(/\n$/, '').split('\n');
  if (a) lines = lines.slice(Number(a) - 1, Number(b));
  return lines.join('\n') + '\n';
}

const check = process.argv.includes('--check');
let stale = 0;
let quotes = 0;
for (const f of readdirSync(DEMOS).filter((x) => x.endsWith('.md')).sort()) {
  const p = path.join(DEMOS, f);
  const text = readFileSync(p, 'utf8');
  const out = text.replace(MARKER, (all, file, a, b, body) => {
    quotes++;
    const want = quoteOf(file, a, b);
    if (body !== want) {
      stale++;
      if (check) console.error(`docs/demos/${f}: the quote of ${file}${a ? ` lines ${a}-${b}` : ''} differs from the golden`);
    }
    return `<!-- golden ${file}${a ? ` lines ${a}-${b}` : ''} -->\n\`\`\`text\n${want}\`\`\`\n`;
  });
  if (!check && out !== text) writeFileSync(p, out);
}
console.log(`${quotes} quotes, ${stale} ${check ? 'stale' : 'rewritten'}`);
process.exitCode = check && (stale > 0 || quotes === 0) ? 1 : 0;
