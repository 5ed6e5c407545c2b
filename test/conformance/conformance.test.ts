// The conformance corpus: every script in cases/ run through bin/sonde, its stdout and exit status
// compared with what bpftrace 0.17 printed for it (recorded by record.sh; see README.md).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRoot } from '../support/root.js';

/** The repository root: the first directory up from here holding bin/sonde (works from dist/ too). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'bin', 'sonde')) && existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('conformance: cannot find the repository root (bin/sonde)');
    dir = up;
  }
}

const ROOT = repoRoot();
const SONDE = join(ROOT, 'bin', 'sonde');
const CASES = join(ROOT, 'test', 'conformance', 'cases');
const KNOWN = join(ROOT, 'test', 'conformance', 'KNOWN-DIFFERENCES.md');
const CASE_TIMEOUT_MS = 30_000;
const ATTACHING = /^Attaching \d+ probes?\.\.\.$/;
const CASE_FILE = /^([a-z0-9_]+)\.(bt|args|expected|stderr|exit|sonde-expected|sonde-exit|unstable)$/;

interface Case {
  name: string;
  args: string[];
  /** Text sonde must print: NAME.sonde-expected when present, else bpftrace's NAME.expected. */
  stdout: string;
  exit: number;
  /** A deliberate difference from bpftrace 0.17 (listed in KNOWN-DIFFERENCES.md). */
  differs: boolean;
}

interface Run {
  stdout: string;
  stderr: string;
  /** Exit status, or 128 + signal number when killed by a signal. */
  status: number;
  timedOut: boolean;
}

function read(name: string, ext: string): string | undefined {
  const p = join(CASES, `${name}.${ext}`);
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
}

function readStatus(name: string, ext: string): number | undefined {
  const t = read(name, ext);
  if (t === undefined) return undefined;
  const n = Number(t.trim());
  if (!Number.isInteger(n)) throw new Error(`${name}.${ext}: not an exit status: ${JSON.stringify(t)}`);
  return n;
}

function loadCases(): Case[] {
  return readdirSync(CASES)
    .filter((f) => f.endsWith('.bt'))
    .map((f) => f.slice(0, -3))
    .sort()
    .map((name) => {
      const sondeText = read(name, 'sonde-expected');
      const bpftraceText = read(name, 'expected');
      const stdout = sondeText ?? bpftraceText;
      if (stdout === undefined) throw new Error(`${name}: no .expected (run record.sh ${name})`);
      // One argument per line, as record.sh passes them; a final newline ends the last line.
      const argText = read(name, 'args');
      const args = argText === undefined ? [] : argText.replace(/\n$/, '').split('\n');
      const exit = readStatus(name, 'sonde-exit') ?? readStatus(name, 'exit') ?? 0;
      return { name, args, stdout, exit, differs: sondeText !== undefined };
    });
}

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    // Kill only the child we started; SIGKILL so a hung tracer cannot hold the suite.
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        status: code ?? 128 + signalNumber(signal),
        timedOut,
      });
    });
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : constants.signals[signal] ?? 0;
}

/**
 * bpftrace prints "Attaching N probes..." as the first line of stdout. sonde prints the same line,
 * on stdout or on stderr: both outputs are compared without it, and the line itself (the probe
 * count) must be the same.
 */
function splitAttaching(stdout: string): { attaching: string | undefined; rest: string } {
  const nl = stdout.indexOf('\n');
  const first = nl === -1 ? stdout : stdout.slice(0, nl);
  if (ATTACHING.test(first)) return { attaching: first, rest: nl === -1 ? '' : stdout.slice(nl + 1) };
  return { attaching: undefined, rest: stdout };
}

/** Does `bin/sonde -e` run a script? Until the language compiler lands it does not. */
async function compilerReason(): Promise<string | undefined> {
  const r = await run(SONDE, ['-B', 'none', '-e', 'BEGIN { exit(); }'], ROOT, CASE_TIMEOUT_MS);
  const said = `${r.stdout}${r.stderr}`;
  if (r.status === 0 && !/unknown (command|option)/i.test(said)) return undefined;
  return 'language compiler not built yet';
}

const cases = loadCases();
let matched = 0;
// Decided before any test is declared: node:test runs `after` once the tests declared so far are
// done, so declaring some, awaiting, then declaring more would print the summary too early.
const notRunBecause = isRoot ? await compilerReason() : 'needs root (CI runs as root)';

test('corpus: every case is complete and every deliberate difference is documented', () => {
  const files = readdirSync(CASES);
  const names = new Set(cases.map((c) => c.name));
  for (const f of files) {
    const m = CASE_FILE.exec(f);
    assert.ok(m, `unexpected file in cases/: ${f}`);
    assert.ok(names.has(m[1]!), `${f} belongs to no case (no ${m[1]}.bt)`);
  }
  const known = readFileSync(KNOWN, 'utf8');
  for (const c of cases) {
    assert.ok(existsSync(join(CASES, `${c.name}.expected`)), `${c.name}: no .expected`);
    if (existsSync(join(CASES, `${c.name}.unstable`))) {
      assert.ok(c.differs, `${c.name}: bpftrace's output is unstable, so the case needs a .sonde-expected`);
    }
    if (existsSync(join(CASES, `${c.name}.sonde-exit`))) {
      assert.ok(c.differs, `${c.name}: a .sonde-exit needs a .sonde-expected beside it`);
    }
    if (c.differs) assert.ok(known.includes(`\`${c.name}\``), `${c.name}: not listed in KNOWN-DIFFERENCES.md`);
    // Recorded errors come with what bpftrace said, for whoever writes sonde's message.
    const recordedExit = readStatus(c.name, 'exit');
    if (recordedExit !== undefined && recordedExit !== 0) {
      assert.ok(existsSync(join(CASES, `${c.name}.stderr`)), `${c.name}: exits ${recordedExit} but has no .stderr`);
    }
  }
  assert.ok(cases.length >= 70, `only ${cases.length} cases`);
});

for (const c of cases) {
  if (!isRoot) {
    test(`conformance: ${c.name}`, { skip: notRunBecause });
  } else if (notRunBecause !== undefined) {
    // todo, not skip: these are the behaviours still owed, and they show up as such.
    test(`conformance: ${c.name}`, { todo: notRunBecause });
  } else {
    test(`conformance: ${c.name}`, { timeout: CASE_TIMEOUT_MS + 10_000 }, async () => {
      // Run from inside cases/ with a relative path, exactly as record.sh ran bpftrace.
      const r = await run(SONDE, ['-B', 'none', `${c.name}.bt`, ...c.args], CASES, CASE_TIMEOUT_MS);
      assert.equal(r.timedOut, false, `${c.name}: sonde did not finish within ${CASE_TIMEOUT_MS} ms`);
      const want = splitAttaching(c.stdout);
      const got = splitAttaching(r.stdout);
      assert.equal(got.rest, want.rest, `${c.name}: stdout differs${c.differs ? ' (from .sonde-expected)' : ''}\n${r.stderr}`);
      if (want.attaching !== undefined) {
        const line = got.attaching ?? r.stderr.split('\n').find((l) => ATTACHING.test(l));
        assert.equal(line, want.attaching, `${c.name}: the "Attaching N probes..." line`);
      }
      assert.equal(r.status, c.exit, `${c.name}: exit status\n${r.stderr}`);
      if (c.exit !== 0) assert.notEqual(r.stderr.trim(), '', `${c.name}: fails without saying why on stderr`);
      matched++;
    });
  }
}

after(() => {
  const note = notRunBecause !== undefined ? ` (not run: ${notRunBecause})` : '';
  console.log(`conformance: ${matched}/${cases.length} cases match bpftrace 0.17${note}`);
});
