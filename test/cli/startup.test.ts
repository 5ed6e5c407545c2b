// bin/sonde's start-up paths (scripts/build-bundle.mjs makes the bundle and its code cache): the
// bundle with its cache; without it (missing, garbage, made for another build); the modules when
// the bundle is older than them. Each case runs in a copy of bin/, dist/ and package.json, so the
// tree's own files are never touched. SONDE_STARTUP_TIMING=1 makes the launcher say which path
// it took; every path must print exactly what the others print.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { needsRoot } from '../support/root.js';
import { debugText } from '../../src/cli/trace.js';
import { compile } from '../../src/lang/compile.js';
import { liveKernelView } from '../../src/runtime/kernel-view.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PROGRAM = 'BEGIN { printf("hi %d\\n", 42); exit(); }';

interface BuildHelpers {
  stampBundle(text: string): { id: string; source: string };
  BUILD_MARK: string;
}

let dir = '';
let bundle = '';
let cache = '';
let pristineBundle = '';
let pristineCache: Buffer;
let helpers: BuildHelpers;

/** Bundle newer than the modules (or older, to make it stale), as a build leaves them. */
function setAges(bundleIsStale: boolean): void {
  const now = Date.now() / 1000;
  utimesSync(join(dir, 'dist/src/cli/main.js'), now - 60, now - 60);
  utimesSync(bundle, bundleIsStale ? now - 120 : now, bundleIsStale ? now - 120 : now);
}

function reset(): void {
  writeFileSync(bundle, pristineBundle);
  writeFileSync(cache, pristineCache);
  setAges(false);
}

/** Runs the copy's bin/sonde with `node bin/sonde …`, or as a command (through its sh line). */
function sonde(args: string[], opts: { asCommand?: boolean; env?: NodeJS.ProcessEnv } = {}): { status: number | null; stdout: string; startup: string; stderr: string } {
  const launcher = join(dir, 'bin/sonde');
  const [cmd, argv] = opts.asCommand ? [launcher, args] : [process.execPath, [launcher, ...args]];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env: { ...process.env, SONDE_STARTUP_TIMING: '1', ...opts.env } });
  const startup = /^sonde: start-up: (.*?)(?: \([\d.]+ ms to load, [\d.]+ ms after process start\))?$/m.exec(r.stderr)?.[1] ?? '';
  return { status: r.status, stdout: r.stdout, startup, stderr: r.stderr };
}

/** What -d prints for PROGRAM from the modules themselves: the reference for every path. */
let expected = '';

before(async () => {
  helpers = await import(pathToFileURL(join(ROOT, 'scripts/build-bundle.mjs')).href) as BuildHelpers;
  dir = mkdtempSync(join(tmpdir(), 'sonde-startup-'));
  cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'dist/src'), join(dir, 'dist/src'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  bundle = join(dir, 'dist/sonde.cjs');
  cache = join(dir, 'dist/sonde.cache');
  pristineBundle = readFileSync(join(ROOT, 'dist/sonde.cjs'), 'utf8');
  pristineCache = readFileSync(join(ROOT, 'dist/sonde.cache'));
  expected = debugText(PROGRAM, 'stdin', compile(PROGRAM, { file: 'stdin', kernel: liveKernelView() }));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the build stamps the bundle and its cache with the same build id', () => {
  const mark = pristineBundle.lastIndexOf(helpers.BUILD_MARK);
  assert.ok(mark > 0, 'the bundle ends with its build id');
  const id = pristineBundle.slice(mark + helpers.BUILD_MARK.length, -1);
  assert.match(id, /^[0-9a-f]{24}$/);
  assert.equal(helpers.stampBundle(pristineBundle.slice(0, mark)).id, id, 'the id is the hash of the text before it');
  assert.equal(pristineCache.subarray(0, pristineCache.indexOf(10)).toString('latin1'), `sonde-cache ${id}`);
});

test('the bundle runs with its code cache', () => {
  reset();
  const r = sonde(['-d', '-e', PROGRAM]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.startup, 'bundle, code cache');
  assert.equal(r.stdout, expected);
});

test('no cache file: the bundle compiles from source', () => {
  reset();
  rmSync(cache);
  const r = sonde(['-d', '-e', PROGRAM]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.startup, 'bundle, no code cache');
  assert.equal(r.stdout, expected);
});

test('a garbage cache file is not used', () => {
  reset();
  writeFileSync(cache, Buffer.from('\x7fELF garbage\n\0\0\0\x01 and more'));
  const r = sonde(['-d', '-e', PROGRAM]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.startup, 'bundle, code cache of another build, not used');
  assert.equal(r.stdout, expected);
});

test('garbage after the right header: V8 rejects it and compiles from source', () => {
  reset();
  const header = pristineCache.subarray(0, pristineCache.indexOf(10) + 1);
  const body = Buffer.alloc(pristineCache.length - header.length);
  for (let i = 0; i < body.length; i++) body[i] = (i * 2654435761) >>> 24;
  writeFileSync(cache, Buffer.concat([header, body]));
  const r = sonde(['-d', '-e', PROGRAM]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.startup, 'bundle, code cache rejected by V8');
  assert.equal(r.stdout, expected);
  // A truncated cache too.
  writeFileSync(cache, pristineCache.subarray(0, pristineCache.length >> 1));
  const t = sonde(['-d', '-e', PROGRAM]);
  assert.equal(t.startup, 'bundle, code cache rejected by V8');
  assert.equal(t.stdout, expected);
});

test('the cache of another build is not used, even where V8 would take it (same length)', () => {
  reset();
  // A rebuilt bundle that differs only in a constant: same length, so V8's own check (which
  // compares lengths) would accept the old cache and run the old constant.
  const mark = pristineBundle.lastIndexOf(helpers.BUILD_MARK);
  const [assignment, version] = /VERSION\s*=\s*"(\d+\.\d+\.\d+)"/.exec(pristineBundle)! as unknown as [string, string];
  const other = version.replace(/\d/g, (d) => String((Number(d) + 1) % 10));
  const text = pristineBundle.slice(0, mark).replace(assignment, assignment.replace(version, other));
  const rebuilt = helpers.stampBundle(text).source;
  assert.equal(rebuilt.length, pristineBundle.length);
  writeFileSync(bundle, rebuilt);
  setAges(false);
  const r = sonde(['--version']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.startup, 'bundle, code cache of another build, not used');
  assert.equal(r.stdout, `sonde ${other}\n`);
  // The bundle without its build line: no cache either.
  writeFileSync(bundle, pristineBundle.slice(0, mark + 1));
  setAges(false);
  const n = sonde(['--version']);
  assert.equal(n.startup, 'bundle, code cache of another build, not used');
  assert.equal(n.stdout, `sonde ${version}\n`);
});

test('a bundle older than the modules is not run: the modules are', () => {
  reset();
  writeFileSync(bundle, 'throw new Error("the stale bundle ran");\n');
  setAges(true);
  const r = sonde(['-d', '-e', PROGRAM]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.startup, 'modules (the bundle is older than dist/src)');
  assert.equal(r.stdout, expected);
});

test('a run prints the same with and without the cache', needsRoot, () => {
  const want = 'Attaching 1 probe...\nhi 42\n\n\n';
  reset();
  const r = sonde(['-e', PROGRAM]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.startup, 'bundle, code cache');
  assert.equal(r.stdout, want);
  rmSync(cache);
  const n = sonde(['-e', PROGRAM]);
  assert.equal(n.status, 0, n.stderr);
  assert.equal(n.startup, 'bundle, no code cache');
  assert.equal(n.stdout, want);
});

test('run as a command, node starts without NODE_EXTRA_CA_CERTS; what sonde runs gets it back', () => {
  reset();
  // Node 20 reads the file at start-up and warns when it cannot.
  const env = { NODE_EXTRA_CA_CERTS: '/nonexistent/sonde-startup-test.pem' };
  const direct = sonde(['--version'], { env });
  assert.match(direct.stderr, /Ignoring extra certs from `\/nonexistent\/sonde-startup-test\.pem`/);
  const command = sonde(['--version'], { env, asCommand: true });
  assert.equal(command.status, 0, command.stderr);
  assert.doesNotMatch(command.stderr, /extra certs/);
  assert.equal(command.startup, 'bundle, code cache');
  assert.equal(command.stdout, direct.stdout);
});

test('system() sees NODE_EXTRA_CA_CERTS as sonde was given it', needsRoot, () => {
  reset();
  const program = 'BEGIN { system("echo \\"[${NODE_EXTRA_CA_CERTS-unset}] [${SONDE_NODE_EXTRA_CA_CERTS-unset}]\\""); exit(); }';
  const set = sonde(['--unsafe', '-q', '-e', program], { env: { NODE_EXTRA_CA_CERTS: '/nonexistent/x.pem' }, asCommand: true });
  assert.equal(set.status, 0, set.stderr);
  assert.equal(set.stdout, '[/nonexistent/x.pem] [unset]\n\n\n');
  const env = { ...process.env };
  delete env['NODE_EXTRA_CA_CERTS'];
  const r = spawnSync(join(dir, 'bin/sonde'), ['--unsafe', '-q', '-e', program], { encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '[unset] [unset]\n\n\n');
});
