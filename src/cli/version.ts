// `crashlab --version`: crashlab's own version and the engine it runs guests on.

import { readFile } from 'node:fs/promises';
import { engineDescription } from '../emu/unicorn.js';

export async function versionText(): Promise<string> {
  // package.json sits two levels above both dist/crashlab.mjs's and dist/src/cli's parent.
  let version = 'unknown';
  for (const rel of ['../package.json', '../../../package.json']) {
    try {
      version = JSON.parse(await readFile(new URL(rel, import.meta.url), 'utf8')).version;
      break;
    } catch {
      // try the next layout
    }
  }
  return `crashlab ${version}\nengine: ${engineDescription()}\n`;
}
