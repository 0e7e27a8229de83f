// A host directory's exact state (every path's kind, mode, size, times and content), to
// check that a run left the host side untouched.

import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** withCtime false: leave the change time out (two trees written at different moments). */
export function snapshot(dir: string, withCtime = true): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = lstatSync(p);
      const content = st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : st.isSymbolicLink() ? readlinkSync(p) : '';
      out[path.relative(dir, p)] = `${st.mode.toString(8)} ${st.size} ${st.mtimeMs} ${withCtime ? st.ctimeMs : ''} ${content}`;
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}
