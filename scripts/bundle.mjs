// Bundle the compiled CLI (dist/src/cli/main.js) and its JS dependencies into one ES
// module, dist/crashlab.mjs, which bin/crashlab runs: a whole `crashlab emu` process then
// loads one file instead of resolving ~100 modules (about 100 ms less start-up).
// koffi (a native addon), pino (loaded only when something is logged) and capstone-js
// (a wasm module loaded only by explain) stay external.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/src/cli/main.js'],
  outfile: 'dist/crashlab.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['koffi', 'pino', '@alexaltea/capstone-js'],
  // CommonJS dependencies (elfinfo, yargs' helpers) call require() for node built-ins.
  banner: { js: "import { createRequire as __crashlabCreateRequire } from 'node:module'; const require = __crashlabCreateRequire(import.meta.url);" },
  sourcemap: true,
  logLevel: 'warning',
});
