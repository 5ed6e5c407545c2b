import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { parse, printAst } from '../../src/lang/index.js';
import { checkSpans } from './walk.js';

// Goldens live in the source tree (test/lang/golden), not in dist/.
const here = dirname(fileURLToPath(import.meta.url));
const goldenDir = join(here, '..', '..', '..', 'test', 'lang', 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

describe('AST printer goldens', () => {
  const scripts = readdirSync(goldenDir).filter((f) => f.endsWith('.bt'));

  it('has golden scripts', () => {
    assert.ok(scripts.length >= 3);
  });

  for (const script of scripts) {
    for (const spans of [false, true]) {
      const expectedFile = join(goldenDir, script.replace(/\.bt$/, spans ? '.spans.ast' : '.ast'));
      it(`${script}${spans ? ' with spans' : ''}`, () => {
        const text = readFileSync(join(goldenDir, script), 'utf8');
        const got = printAst(parse(text, { file: script }), { spans });
        if (update) writeFileSync(expectedFile, got);
        assert.equal(got, readFileSync(expectedFile, 'utf8'));
      });
    }
    it(`${script}: spans are consistent`, () => {
      checkSpans(parse(readFileSync(join(goldenDir, script), 'utf8'), { file: script }));
    });
  }
});
