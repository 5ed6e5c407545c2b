// The one way the language tests read a script error: the formatted LangError (FILE:L:C, the line,
// the caret, a hint) of a call that must fail.
import assert from 'node:assert/strict';
import { LangError } from '../../src/lang/diagnostic.js';

/** What `run` fails with, formatted; a test failure if it succeeds. Other exceptions pass through. */
export function langError(run: () => unknown, what = 'expected an error'): string {
  try {
    run();
  } catch (e) {
    if (e instanceof LangError) return e.format();
    throw e;
  }
  assert.fail(what);
}
