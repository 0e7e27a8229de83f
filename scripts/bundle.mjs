// Bundle the compiled CLI (dist/src/cli/main.js) and its JS dependencies into one CommonJS
// file, dist/crashlab.cjs, and record V8's code cache for it, dist/crashlab.cjs.cache, which
// bin/crashlab loads: a whole `crashlab emu` process then reads one file and compiles
// almost nothing (start-up: README, Speed). The cache is written by one warm-up run
// (`crashlab emu` on a bundled guest), so it holds the functions a run compiles, not only
// the top level. Node rejects a cache from another V8 version or flags; bin/crashlab then
// compiles as usual.
// koffi (a native addon), pino (loaded only when something is logged) and capstone-js
// (a wasm module loaded only by explain) stay external.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist/crashlab.cjs.cache', { force: true });
await build({
  entryPoints: ['dist/src/cli/main.js'],
  outfile: 'dist/crashlab.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['koffi', 'pino', '@alexaltea/capstone-js'],
  // The modules read import.meta.url (to find .unicorn/, package.json, capstone-js).
  define: { 'import.meta.url': '__crashlabImportMetaUrl' },
  banner: { js: "const __crashlabImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  // Smaller source to read and scan at start-up; names stay (stack traces stay readable).
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  logLevel: 'warning',
});
// The warm-up run: a crash report (its status is 139), with the cache written at exit.
const warm = spawnSync(process.execPath, ['bin/crashlab', 'emu', 'guests/build/rv64/null-write.elf'], {
  env: { ...process.env, CRASHLAB_WRITE_CODE_CACHE: '1' },
  stdio: ['ignore', 'ignore', 'pipe'],
  encoding: 'utf8',
});
if (warm.status !== 139) console.warn(`bundle: the warm-up run exited ${warm.status}; the code cache holds less:\n${warm.stderr}`);
