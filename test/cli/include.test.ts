// #include, --include FILE and -I DIR through bin/sonde; positional parameters in probe names and
// str($N) where a literal is needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { needsRoot } from '../support/root.js';

const SONDE = fileURLToPath(new URL('../../../bin/sonde', import.meta.url));

function sonde(args: string[], cwd?: string) {
  return spawnSync(SONDE, args, { encoding: 'utf8', timeout: 60_000, ...(cwd ? { cwd } : {}) });
}

test('-h lists --include FILE and -I DIR', () => {
  const h = sonde(['-h']);
  assert.match(h.stdout + h.stderr, /\n {4}--include FILE as an #include <FILE> line at the top of the script \(repeatable\)\n/);
  assert.match(h.stdout + h.stderr, /\n {4}-I DIR {9}search DIR for #include files before the system directories \(repeatable\)\n/);
});

test('the manual page sonde(8) documents every option -h lists', () => {
  const h = sonde(['-h']);
  const options = (h.stdout + h.stderr).split('\nOPTIONS:\n')[1]!.split('\n\n')[0]!;
  const flags = [...options.matchAll(/^ {4}(-[-A-Za-z]+)/gm)].map((m) => m[1]!);
  assert.ok(flags.includes('--include') && flags.includes('-I') && flags.length >= 15, flags.join(' '));
  const page = readFileSync(fileURLToPath(new URL('../../../man/man8/sonde.8', import.meta.url)), 'utf8').replaceAll('\\-', '-').replaceAll('\\fB', '');
  for (const f of flags) assert.ok(page.includes(`\n${f}`), `sonde.8 lacks ${f}`);
});

test('an absent header fails at its name: file:line:col, the line, a caret; nothing runs', () => {
  const r = sonde(['-e', '#include <lol/no.h>\nBEGIN { printf("ran\\n"); exit(); }']);
  assert.notEqual(r.status, 0);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.split('\n').slice(0, 3).join('\n'), "stdin:1:10: ERROR: 'lol/no.h' file not found\n#include <lol/no.h>\n         ^~~~~~~~~~");
  const i = sonde(['--include', 'lol.h', '-e', 'BEGIN { exit(); }']);
  assert.equal(i.status, 1);
  assert.equal(i.stderr, "ERROR: --include lol.h: 'lol.h' file not found\n");
});

test('a positional parameter a probe name needs but is not given: a clear error', () => {
  const r = sonde(['-e', 'BEG$1 { exit(); }']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^stdin:1:1: ERROR: probe 'BEG\$1' uses \$1, but no positional parameters were given\nBEG\$1 \{ exit\(\); \}\n\^~~~~\n/);
});

test('--include and -I (repeatable, in order) give the headers\' constants; nested includes followed', needsRoot, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sonde-inc-'));
  try {
    for (const [d, text] of [['a', '#include "b.h"\n#define MINE 42\n'], ['b', '#define MINE 7\n']] as const) {
      mkdirSync(join(dir, d));
      writeFileSync(join(dir, d, 'my.h'), text);
    }
    writeFileSync(join(dir, 'a', 'b.h'), '#define NESTED 43\n');
    const r = sonde(['-I', join(dir, 'a'), `-I${join(dir, 'b')}`, '--include', 'my.h', '--include', 'errno.h',
      '-e', 'BEGIN { printf("%d %d %d %s\\n", MINE, NESTED, EPERM, strerror(EPERM)); exit(); }']);
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
    assert.equal(r.stdout, 'Attaching 1 probe...\n42 43 1 Operation not permitted\n\n\n');
    // A script's quoted #include looks in its directory first.
    writeFileSync(join(dir, 's.bt'), '#include "a/b.h"\nBEGIN { printf("%d\\n", NESTED); exit(); }\n');
    assert.equal(sonde([join(dir, 's.bt')]).stdout, 'Attaching 1 probe...\n43\n\n\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
