// `--html FILE` through the real CLI, checked in a real headless browser: Debian's
// chromium driven by playwright-core (never a downloaded browser). Each page must load from
// file:// with no console errors, no failed requests and no network at all; show every
// frame of the report; highlight exactly the clicked frame's record cells; mark the
// faulting instruction; and show the source line when the source file is found.

import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { crashlab, guest } from '../helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const ARCHES = ['aarch64', 'x86-64', 'rv32', 'rv64'];

let browser: Browser;
const tmp = mkdtempSync(path.join(tmpdir(), 'crashlab-html-'));

test.before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the HTML tests need Debian's chromium (apt-get install -y chromium, or run scripts/setup.sh)`);
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

test.after.always(async () => {
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
});

interface JsonFrame {
  index: number;
  pc: string;
  function: string | null;
  offset: number | null;
  file: string | null;
  line: number;
  inlined: boolean;
}
interface JsonReport {
  fault: { pc: string } | null;
  frames: JsonFrame[];
}

interface Loaded {
  page: Page;
  problems: string[];
  requests: string[];
}

/** Open a page from file:// and record everything that went wrong while it loaded. */
async function open(file: string): Promise<Loaded> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, problems, requests };
}

function htmlOf(args: string[], name: string, expectCode: number): { file: string; report: JsonReport; stderr: string } {
  const file = path.join(tmp, name);
  const elf = args[args.length - 1]!;
  const r = crashlab([...args.slice(0, -1), '--html', file, elf]);
  if (r.code !== expectCode) throw new Error(`crashlab ${args.join(' ')} --html: exit ${r.code}, stderr: ${r.stderr}`);
  if (!existsSync(file)) throw new Error(`${file} was not written`);
  const report = JSON.parse(crashlab(['emu', '--json', elf]).stdout) as JsonReport;
  return { file, report, stderr: r.stderr };
}

const fnText = (f: JsonFrame) => (f.function ?? '??') + (f.offset !== null && !f.inlined ? `+0x${f.offset.toString(16)}` : '');

/** The checks every crash page must pass. */
async function checkCrashPage(t: import('ava').ExecutionContext, file: string, report: JsonReport) {
  const { page, problems, requests } = await open(file);
  try {
    t.deepEqual(problems, [], 'no console errors, page errors or failed requests');
    t.deepEqual(requests.filter((u) => /^(https?|wss?):/i.test(u)), [], 'no request goes to the network');
    t.true(requests.every((u) => u.startsWith('file:') || u.startsWith('data:')), `only file: requests: ${requests.join(', ')}`);
    const html = readFileSync(file, 'utf8');
    t.notRegex(html, /<(link|img|iframe)\b[^>]*(href|src)=["']?(https?:)?\/\//i, 'no external assets');
    t.notRegex(html, /@import|@font-face|url\(\s*["']?https?:/i, 'no external fonts or CSS');

    // Every frame of the report, in order, with its function name.
    const rows = await page.$$eval('.frames .frame', (els) =>
      els.map((e) => ({ index: Number(e.getAttribute('data-index')), fn: e.querySelector('.fn')!.textContent, inlined: e.querySelector('.tag.inl') !== null, visible: (e as HTMLElement).offsetParent !== null })),
    );
    t.is(rows.length, report.frames.length, 'as many frames as emu --json reports');
    t.deepEqual(
      rows.map((r) => r.fn),
      report.frames.map(fnText),
    );
    t.deepEqual(
      rows.map((r) => r.inlined),
      report.frames.map((f) => f.inlined),
      'inlined frames are marked',
    );
    t.true(rows.every((r) => r.visible));
    for (const f of report.frames) if (f.file) t.true((await page.locator(`.frame[data-index="${f.index}"] .file`).textContent())!.startsWith(`${f.file}:${f.line}`));

    // The faulting instruction is marked, once, at the fault pc (a jump to 0 has no code to show).
    const fault = page.locator('tr.insn.fault');
    if (BigInt(report.fault!.pc) === 0n) {
      t.is(await fault.count(), 0);
      t.regex((await page.locator('#disasm .nocode').textContent())!, /No code at 0x0+: the pc is outside every executable segment/);
    } else {
      t.is(await fault.count(), 1, 'one faulting instruction');
      t.is(BigInt((await fault.locator('.addr').textContent())!), BigInt(report.fault!.pc));
      t.regex((await fault.textContent())!, /faulting instruction/);
      t.true(await fault.isVisible());
    }

    // Clicking frame #1 highlights exactly its record cells, and its row.
    const one = page.locator('.frame[data-index="1"]');
    const walk = await one.getAttribute('data-frame');
    await one.click();
    const cells = await page.$$eval('.mem .cell', (els) => els.map((e) => ({ frame: e.getAttribute('data-frame'), span: e.getAttribute('data-span'), slot: e.getAttribute('data-slot'), cls: [...e.classList] })));
    const mine = cells.filter((c) => c.frame === walk);
    t.is(mine.length, 2, "frame #1's two record slots are drawn");
    t.deepEqual(mine.map((c) => c.slot).sort(), ['caller-fp', 'return-address']);
    t.true(mine.every((c) => c.cls.includes('selected')), "frame #1's record cells are highlighted");
    t.deepEqual(cells.filter((c) => c.frame !== walk && c.cls.includes('selected')), [], 'no other cell is highlighted');
    t.true(cells.filter((c) => c.span === walk).every((c) => c.cls.includes('in-selected')), "frame #1's words are highlighted");
    t.deepEqual(cells.filter((c) => c.span !== walk && c.cls.includes('in-selected')), [], "no word outside frame #1's is highlighted");
    const rowClasses = await page.$$eval('.frames .frame', (els) => els.map((e) => ({ frame: e.getAttribute('data-frame'), sel: e.classList.contains('selected') })));
    t.deepEqual(
      rowClasses.map((r) => r.sel),
      rowClasses.map((r) => r.frame === walk),
      'the clicked frame row (and only it) is selected',
    );

    // The stack: caller-fp and return-address slots labelled, the fp chain drawn as arrows.
    const walkFrames = new Set(report.frames.map((f) => f.index)).size;
    t.true((await page.locator('.cell[data-slot="caller-fp"] .chip').count()) >= walkFrames - 1);
    t.regex((await page.locator('.cell[data-slot="caller-fp"] .chip').first().textContent())!, /caller fp/);
    t.regex((await page.locator('.cell[data-slot="return-address"] .chip').first().textContent())!, /return address/);
    t.true((await page.locator('svg.arrows path[data-arrow-from]').count()) >= 1, 'the fp chain is drawn');
    t.deepEqual(problems, [], 'no errors after clicking');
    return page;
  } catch (e) {
    await page.close();
    throw e;
  }
}

for (const arch of ARCHES) {
  test.serial(`${arch} null-write: emu --html page in chromium`, async (t) => {
    const { file, report, stderr } = htmlOf(['emu', guest(arch, 'null-write')], `emu-${arch}-null-write.html`, 139);
    t.regex(stderr, /^crashlab: \S+ guest received SIGSEGV/, 'the normal report is still printed');
    t.regex(stderr, /^#0 /m);
    const page = await checkCrashPage(t, file, report);
    try {
      // Back to frame #0: its source line is shown, marked.
      await page.locator('.frame[data-index="0"]').click();
      const here = page.locator('[data-source-for="0"] .sl.here');
      t.true(await here.isVisible(), "frame #0's source is shown");
      t.is((await here.locator('.lt').textContent())!.trim(), '*p = value;');
      t.is((await here.locator('.ln').textContent())!.trim(), String(report.frames[0]!.line));
      t.is((await page.locator('.frame[data-index="0"] .sline').textContent())!.trim(), '*p = value;');
    } finally {
      await page.close();
    }
  });
}

for (const [arch, g] of [
  ['aarch64', 'deep-chain'],
  ['rv64', 'deep-chain'],
  ['x86-64', 'null-fnptr'],
  ['rv32', 'null-fnptr'],
] as const) {
  test.serial(`${arch} ${g}: explain --html page in chromium`, async (t) => {
    const { file, report } = htmlOf(['explain', guest(arch, g)], `explain-${arch}-${g}.html`, 0);
    const page = await checkCrashPage(t, file, report);
    await page.close();
  });
}

test.serial('rv64 inline-chain: inlined frames are marked and share one stack frame', async (t) => {
  const elf = 'guests/build/rv64/variants/inline-chain-O2-dwarf5.elf';
  const { file, report } = htmlOf(['explain', elf], 'explain-inline.html', 0);
  t.true(report.frames.some((f) => f.inlined));
  const { page, problems } = await open(file);
  try {
    t.deepEqual(problems, []);
    const rows = await page.$$eval('.frames .frame', (els) => els.map((e) => ({ fn: e.getAttribute('data-function'), inl: e.querySelector('.tag.inl') !== null })));
    t.deepEqual(
      rows,
      report.frames.map((f) => ({ fn: f.function, inl: f.inlined })),
    );
  } finally {
    await page.close();
  }
});

test.serial('a guest that exits normally gets a page that says so', async (t) => {
  const file = path.join(tmp, 'hello.html');
  const r = crashlab(['emu', '--html', file, guest('rv64', 'hello')]);
  t.is(r.code, 0, r.stderr);
  const { page, problems, requests } = await open(file);
  try {
    t.deepEqual(problems, []);
    t.deepEqual(requests.filter((u) => !u.startsWith('file:')), []);
    t.regex((await page.textContent('body'))!, /exited normally with status 0/);
    t.is(await page.locator('.frame').count(), 0);
  } finally {
    await page.close();
  }
});

for (const cmd of ['emu', 'explain']) {
  test(`${cmd} --html to an unwritable path: one line, exit 2`, (t) => {
    const r = crashlab([cmd, '--html', '/nonexistent/x.html', guest('rv64', 'null-write')]);
    t.is(r.code, 2);
    t.regex(r.stderr, /^crashlab: cannot write \/nonexistent\/x\.html: [^\n]+\n$/);
    t.is(r.stdout, '');
  });
}

test('explain --html with two ELFs is a usage error', (t) => {
  const r = crashlab(['explain', '--html', path.join(tmp, 'two.html'), guest('rv64', 'null-write'), guest('aarch64', 'null-write')]);
  t.is(r.code, 2);
  t.regex(r.stderr, /^crashlab: --html draws a single ELF[^\n]*\n$/);
});
