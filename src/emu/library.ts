// Which libunicorn file crashlab loads, in order:
//
//   1. CRASHLAB_LIBUNICORN (a path or a soname), exactly that, whatever its version;
//   2. .unicorn/libunicorn.so.2 at the repository root: Unicorn >= 2.1, fetched by
//      scripts/setup.sh (scripts/fetch-unicorn.sh) from Debian unstable's libunicorn2t64;
//   3. the system's libunicorn.so.2 (Debian 12's libunicorn2, Unicorn 2.0.1): the fallback,
//      with one warning line (engineWarning in unicorn.ts) because runs are slower there.
//
// This module only names files; unicorn.ts loads them and checks uc_version.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LibraryChoice {
  /** What koffi.load gets. */
  file: string;
  /** How it was chosen. */
  source: 'env' | 'fetched' | 'system';
}

/** The soname of the system's Unicorn 2 (Debian package libunicorn2). */
export const SYSTEM_LIBRARY = 'libunicorn.so.2';

/** Where scripts/fetch-unicorn.sh puts Unicorn 2.1, relative to the repository root. */
export const FETCHED_LIBRARY = '.unicorn/libunicorn.so.2';

/**
 * The fetched library beside this module's repository: this file runs as
 * dist/src/emu/library.js (tests) or inside dist/crashlab.cjs (the CLI bundle), so the
 * root is found by looking upward for .unicorn/ (a few stat calls).
 */
function fetchedLibrary(): string | null {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, FETCHED_LIBRARY);
    if (existsSync(candidate)) return candidate;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/** The libraries to try, best first (the env override alone when it is set). */
export function libraryCandidates(env: NodeJS.ProcessEnv = process.env): LibraryChoice[] {
  const forced = env.CRASHLAB_LIBUNICORN;
  if (forced) return [{ file: forced, source: 'env' }];
  const fetched = fetchedLibrary();
  const out: LibraryChoice[] = [];
  if (fetched) out.push({ file: fetched, source: 'fetched' });
  out.push({ file: SYSTEM_LIBRARY, source: 'system' });
  return out;
}
