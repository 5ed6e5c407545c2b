import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { LangError, parse, printAst } from '../../src/lang/index.js';
import { checkSpans } from './walk.js';

/** The .bt tools installed by the system's bpftrace package (read in place; nothing is copied). */
function installedTools(): string[] {
  try {
    const files = execFileSync('dpkg', ['-L', 'bpftrace'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter((f) => f.endsWith('.bt') && existsSync(f));
    if (files.length > 0) return files;
  } catch {
    // Not a Debian system, or bpftrace not installed through dpkg: look in the usual places.
  }
  const out: string[] = [];
  for (const dir of ['/usr/sbin', '/usr/share/bpftrace/tools', '/usr/local/share/bpftrace/tools']) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) if (f.endsWith('.bt')) out.push(join(dir, f));
  }
  return out;
}

const tools = installedTools();

describe('installed bpftrace tools', () => {
  it('finds the tools', { skip: tools.length === 0 ? 'no bpftrace tools installed' : false }, () => {
    assert.ok(tools.length >= 10, `only ${tools.length} tools found`);
  });

  for (const file of tools) {
    it(`parses ${file}`, () => {
      const text = readFileSync(file, 'utf8');
      let prog;
      try {
        prog = parse(text, { file });
      } catch (e) {
        if (e instanceof LangError) assert.fail(e.format());
        throw e;
      }
      assert.ok(prog.probes.length > 0, 'no probes');
      for (const p of prog.probes) {
        for (const ap of p.attachPoints) {
          assert.equal(text.slice(ap.span.offset, ap.span.offset + ap.span.length), ap.raw);
          assert.ok(ap.provider !== null && ap.target !== null, `undecoded probe ${ap.raw}`);
        }
      }
      assert.ok(checkSpans(prog) > 10);
      assert.ok(printAst(prog).startsWith(`Program ${file}\n`));
    });
  }
});
