// `crashlab --version`: crashlab's own version and the engine it runs guests on.

import { readFileSync } from 'node:fs';
import { engineDescription } from '../emu/unicorn.js';

export function versionText(): string {
  // package.json is one level above dist/crashlab.cjs (the CLI bundle) and three above
  // dist/src/cli/version.js.
  let version = 'unknown';
  for (const rel of ['../package.json', '../../../package.json']) {
    try {
      version = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')).version;
      break;
    } catch {
      // try the next layout
    }
  }
  return `crashlab ${version}\nengine: ${engineDescription()}\n`;
}
