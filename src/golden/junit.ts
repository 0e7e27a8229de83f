// JUnit XML for CI systems: one testcase per (case, arch).

export interface JunitCase {
  name: string;
  ms: number;
  failure?: string;
  error?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function junitXml(suite: string, cases: JunitCase[]): string {
  const failures = cases.filter((c) => c.failure).length;
  const errors = cases.filter((c) => c.error).length;
  const total = cases.reduce((s, c) => s + c.ms, 0) / 1000;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites tests="${cases.length}" failures="${failures}" errors="${errors}" time="${total.toFixed(3)}">`,
    `  <testsuite name="${esc(suite)}" tests="${cases.length}" failures="${failures}" errors="${errors}" time="${total.toFixed(3)}">`,
  ];
  for (const c of cases) {
    const open = `    <testcase classname="${esc(suite)}" name="${esc(c.name)}" time="${(c.ms / 1000).toFixed(3)}"`;
    if (c.failure) lines.push(`${open}>`, `      <failure message="golden mismatch">${esc(c.failure)}</failure>`, '    </testcase>');
    else if (c.error) lines.push(`${open}>`, `      <error message="${esc(c.error)}"/>`, '    </testcase>');
    else lines.push(`${open}/>`);
  }
  lines.push('  </testsuite>', '</testsuites>');
  return lines.join('\n') + '\n';
}
