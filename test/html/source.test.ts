// The HTML page's helpers without a browser: escaping, and finding a frame's source file
// upward from the ELF's folder.

import test from 'ava';
import path from 'node:path';
import { esc, findSource, sourceSnippet } from '../../src/report/html.js';
import { ROOT } from '../helpers/cli.js';

test('esc escapes markup and quotes', (t) => {
  t.is(esc(`<script>"a" & 'b'</script>`), '&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;');
});

test('findSource walks up from the ELF folder', (t) => {
  const elf = path.join(ROOT, 'guests/build/rv64/null-write.elf');
  t.is(findSource(elf, 'src/null-write.c'), path.join(ROOT, 'guests/src/null-write.c'));
  t.is(findSource(elf, 'src/no-such-file.c'), null);
});

test('sourceSnippet marks the line and skips silently when not found', (t) => {
  const elf = path.join(ROOT, 'guests/build/rv64/null-write.elf');
  const s = sourceSnippet(elf, { file: 'src/null-write.c', line: 7, column: 8 })!;
  t.is(s.lines[s.line - s.first]!.trim(), '*p = value;');
  t.is(sourceSnippet(elf, { file: 'src/missing.c', line: 7, column: 8 }), null);
  t.is(sourceSnippet(elf, { file: 'src/null-write.c', line: 99999, column: 0 }), null);
  t.is(sourceSnippet(elf, { file: null, line: 0, column: 0 }), null);
});
