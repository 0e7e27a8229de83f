// Hostile ELFs, generated: byte mutations of every guest's headers, program headers and
// section headers (seeded, so failures reproduce). Each must either load cleanly or be
// refused with an InputError: never another exception, never a hang.

import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseElf } from '../../src/loader/elf.js';
import { InputError } from '../../src/loader/errors.js';
import { planImage, selectArch } from '../../src/loader/image.js';
import { SymbolTable } from '../../src/symbolize/symbols.js';
import { ROOT } from '../helpers/cli.js';
import { rng } from '../helpers/rng.js';

const INTERESTING = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xff, 0xfe, 0x40, 0x10];

function mutate(orig: Uint8Array, next: () => number): Uint8Array {
  const b = orig.slice();
  const dv = new DataView(b.buffer);
  const is64 = b[4] === 2;
  const shoff = Number(is64 ? dv.getBigUint64(40, true) : BigInt(dv.getUint32(32, true)));
  const shsize = (is64 ? 64 : 40) * dv.getUint16(is64 ? 60 : 48, true);
  const n = 1 + (next() % 4);
  for (let i = 0; i < n; i++) {
    // Aim at the structures a loader trusts: the ELF header and program headers (first
    // 0x200 bytes) most of the time, else the section header table, else anywhere.
    const r = next() % 10;
    let at: number;
    if (r < 6) at = next() % Math.min(0x200, b.length);
    else if (r < 9 && shoff + shsize <= b.length && shsize > 0) at = shoff + (next() % shsize);
    else at = next() % b.length;
    b[at] = next() % 3 === 0 ? INTERESTING[next() % INTERESTING.length]! : next() & 0xff;
  }
  if (next() % 8 === 0) return b.subarray(0, next() % b.length); // and sometimes truncate
  return b;
}

const GUESTS = ['null-write', 'hello', 'deep-chain', 'rodata-write'];
const ARCHES = ['aarch64', 'x86-64', 'rv32', 'rv64'];
const PER_FILE = Number(process.env.FUZZ_PER_FILE ?? 60);

for (const arch of ARCHES) {
  test(`${arch}: ${GUESTS.length * PER_FILE} mutated ELFs load or are refused with one InputError`, async (t) => {
    let refused = 0;
    let loaded = 0;
    for (const [gi, g] of GUESTS.entries()) {
      const orig = new Uint8Array(readFileSync(path.join(ROOT, `guests/build/${arch}/${g}.elf`)));
      const next = rng(0x9e3779b9 ^ (gi * 7919) ^ arch.length);
      for (let i = 0; i < PER_FILE; i++) {
        const bytes = mutate(orig, next);
        try {
          const elf = await parseElf(`${g}#${i}`, bytes);
          const image = planImage(elf, selectArch(elf));
          SymbolTable.fromElf(elf).lookup(image.entry);
          loaded++;
        } catch (e) {
          if (!(e instanceof InputError)) {
            t.fail(`${arch}/${g} mutation #${i}: ${(e as Error).stack}`);
            return;
          }
          t.notRegex(e.message, /\n/, 'one line');
          refused++;
        }
      }
    }
    t.is(loaded + refused, GUESTS.length * PER_FILE);
    t.true(refused > 0, 'some mutations must be refused');
    t.log(`${loaded} loaded, ${refused} refused`);
  });
}
