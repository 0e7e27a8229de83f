// The adapter reads .symtab itself (elfinfo's naming is quadratic on large tables): for
// every committed guest its symbols must be exactly elfinfo's, name for name.

import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { open as elfinfoOpen, type ELFSymbolSection } from 'elfinfo';
import { readElf } from '../../src/loader/elf.js';
import { ROOT } from '../helpers/cli.js';

for (const arch of ['aarch64', 'x86-64', 'rv32', 'rv64']) {
  test(`${arch}: symbols read by the adapter equal elfinfo's for every guest`, async (t) => {
    const dir = path.join(ROOT, 'guests/build', arch);
    const files = readdirSync(dir).filter((f) => f.endsWith('.elf') && f !== 'big.elf');
    t.true(files.length >= 20);
    for (const f of files) {
      const p = path.join(dir, f);
      const ours = (await readElf(p)).symbols.map((s) => [s.name, s.value, s.size, s.kind, s.section]);
      const res = await elfinfoOpen(new Uint8Array(readFileSync(p)));
      const symtab = res.elf!.sections.find((s) => s.name === '.symtab') as ELFSymbolSection;
      const theirs = symtab.symbols.slice(1).map((s) => [s.name, BigInt(s.value), BigInt(s.size), s.type === 2 ? 'func' : s.type === 1 ? 'object' : 'other', s.shndx]);
      t.deepEqual(ours, theirs, f);
    }
  });
}
