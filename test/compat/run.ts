// Conformance runner: bpftrace's own runtime test definitions (tests/runtime/ in its repository, at a
// pinned tag) run against sonde — or against bpftrace itself, for the figure next to it.
//
// Not part of `npm test`: it takes many minutes and needs root. The definitions are read from a
// fetched copy of bpftrace's repository (a git directory or a checkout) and unpacked into .cache/;
// nothing of theirs is vendored here. The test programs the suite builds (tests/testprogs,
// tests/testlibs) are compiled with gcc the way its CMakeLists does.
//
// It follows bpftrace's own engine (tests/runtime/engine/{parser,runner}.py at the same tag):
// the same fields, the same whitespace folding of each line, the same environment
// (__BPFTRACE_NOTIFY_PROBES_ATTACHED=1 and nothing else but the test's ENV), the same 5-second
// wait for attachment, then TIMEOUT seconds, SIGTERM, and the EXPECT regex searched in the merged
// stdout+stderr. Feature gates (REQUIRES_FEATURE) are read from the reference bpftrace's --info, so
// that both engines face the same set of cases: a feature sonde lacks shows up as a failure.
//
//   node dist/test/compat/run.js --git /work/.mirror/bpftrace+bpftrace/repo \
//        [--tag v0.17.0] [--engine sonde|bpftrace|PATH] [--suite NAME[,NAME]] [--name REGEX] \
//        [--json OUT.json] [--quiet]
//   (--engine sonde, the default, runs bin/sonde through a link named `bpftrace` that the runner
//   creates in .cache/compat/drop-in/<checkout>/: sonde's drop-in mode, in which its process is
//   named bpftrace, as the cases that read `comm`, run `pidof bpftrace` or `pkill bpftrace` expect.)
//   node dist/test/compat/run.js --compare sonde.json bpftrace.json     (suite-by-suite table)
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { arch, release } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Case {
  suite: string;
  name: string;
  run: string;
  prog: string;
  expect: string;
  timeout: number;
  before: string;
  after: string;
  kernelMin: string;
  kernelMax: string;
  requires: string[];
  env: Record<string, string>;
  arch: string[];
  features: string[];
  notFeatures: string[];
  willFail: boolean;
}

export type Status = 'PASS' | 'FAIL' | 'TIMEOUT' | 'SKIP';

export interface Result {
  suite: string;
  name: string;
  status: Status;
  reason?: string;
  command?: string;
  output?: string;
  exitCode?: number | null;
  seconds: number;
}

const KNOWN_FEATURES = new Set(['loop', 'btf', 'kfunc', 'probe_read_kernel', 'dpath', 'uprobe_refcount', 'signal', 'iter:task',
  'iter:task_file', 'libpath_resolv', 'dwarf', 'aot', 'kprobe_multi', 'skboutput']);

/** One suite file, as parser.py reads it: '#' lines dropped, cases separated by empty lines. */
export function parseSuite(suite: string, text: string, machine = arch() === 'x64' ? 'x86_64' : arch()): Case[] {
  const lines = text.split(/(?<=\n)/);
  const cases: Case[] = [];
  let block: string[] = [];
  lines.forEach((line, i) => {
    if (line.startsWith('#')) return;
    if (line !== '\n') block.push(line);
    if (line === '\n' || i === lines.length - 1) {
      if (block.length > 0) {
        const c = parseCase(suite, block);
        if (c.arch.length === 0 || c.arch.includes(machine)) cases.push(c);
        block = [];
      }
    }
  });
  return cases;
}

function parseCase(suite: string, block: string[]): Case {
  const c: Case = { suite, name: '', run: '', prog: '', expect: '', timeout: NaN, before: '', after: '', kernelMin: '', kernelMax: '',
    requires: [], env: {}, arch: [], features: [], notFeatures: [], willFail: false };
  for (const item of block) {
    // Python's str.split(): runs of whitespace, ends trimmed; the rest is re-joined with one space.
    const words = item.trim().split(/\s+/);
    const field = words[0];
    const line = words.slice(1).join(' ');
    switch (field) {
      case 'NAME': c.name = line; break;
      case 'RUN': c.run = line; break;
      case 'PROG': c.prog = line; break;
      case 'EXPECT': c.expect = line; break;
      case 'TIMEOUT': c.timeout = parseInt(line, 10); break;
      case 'BEFORE': c.before = line; break;
      case 'AFTER': c.after = line; break;
      case 'MIN_KERNEL': c.kernelMin = line; break;
      case 'MAX_KERNEL': c.kernelMax = line; break;
      case 'REQUIRES': c.requires.push(line); break;
      case 'ENV':
        for (const e of line.split(/\s+/)) {
          const [k, v] = e.split('=');
          c.env[k!] = v ?? '';
        }
        break;
      case 'ARCH': c.arch = line.split('|').map((x) => x.trim()); break;
      case 'REQUIRES_FEATURE':
        for (let f of line.split(' ')) {
          f = f.trim();
          const neg = f.startsWith('!');
          const name = neg ? f.slice(1) : f;
          if (!KNOWN_FEATURES.has(name)) throw new Error(`${suite}: unknown REQUIRES_FEATURE ${name}`);
          (neg ? c.notFeatures : c.features).push(name);
        }
        break;
      case 'WILL_FAIL': c.willFail = true; break;
      default: throw new Error(`${suite}: unknown field ${field}`);
    }
  }
  if (!c.name) throw new Error(`${suite}: a case without NAME`);
  if (!c.run === !c.prog) throw new Error(`${suite}.${c.name}: needs exactly one of RUN and PROG`);
  if (!c.expect) throw new Error(`${suite}.${c.name}: no EXPECT`);
  if (Number.isNaN(c.timeout)) throw new Error(`${suite}.${c.name}: no TIMEOUT`);
  return c;
}

/** Python `re` syntax → JavaScript: named groups and the anchors JS spells differently. */
export function pythonRegex(src: string, multiline: boolean): RegExp {
  const js = src.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>').replace(/\\A/g, '^').replace(/\\Z/g, '$(?![\\s\\S])');
  return new RegExp(js, multiline ? 'm' : '');
}

/** distutils LooseVersion ordering, for MIN_KERNEL/MAX_KERNEL: numeric runs compare as numbers. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.match(/\d+|[a-z]+/gi) ?? [];
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) {
      if (Number(x) !== Number(y)) return Number(x) - Number(y);
    } else if (x !== y) {
      return nx ? -1 : ny ? 1 : x < y ? -1 : 1;
    }
  }
  return 0;
}

/** The features runner.py reads from `bpftrace --info`. */
export function featuresFromInfo(info: string): Map<string, boolean> {
  const has = (s: string) => info.includes(s);
  return new Map([
    ['loop', has('Loop support: yes')],
    ['probe_read_kernel', has('probe_read_kernel: yes')],
    ['btf', has('btf: yes')],
    ['kfunc', has('kfunc: yes')],
    ['dpath', has('dpath: yes')],
    ['uprobe_refcount', has('uprobe refcount (depends on Build:bcc bpf_attach_uprobe refcount): yes')],
    ['signal', has('send_signal: yes')],
    ['iter:task', has('iter:task: yes')],
    ['iter:task_file', has('iter:task_file: yes')],
    ['libpath_resolv', has('bcc library path resolution: yes')],
    ['dwarf', has('libdw (DWARF support): yes')],
    ['kprobe_multi', has('kprobe_multi: yes')],
    ['aot', false],
    ['skboutput', has('skboutput: yes')],
  ]);
}

// ---------------------------------------------------------------------------------------------
// Preparing the tree: unpack the tag's tests/ and build its test programs.

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..', '..'); // dist/test/compat → repo root

function sh(cmd: string, cwd: string): { code: number; out: string } {
  const r = spawnSync('/bin/sh', ['-c', cmd], { cwd, encoding: 'utf8' });
  return { code: r.status ?? -1, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

/** Unpacks tests/{runtime,testprogs,testlibs} of TAG from a git directory into .cache; returns .../tests. */
export function prepareTree(git: string, tag: string, cacheRoot = join(REPO, '.cache', 'compat')): string {
  const root = join(cacheRoot, `bpftrace-${tag}`);
  const tests = join(root, 'tests');
  if (!existsSync(join(tests, 'runtime'))) {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    const tar = execFileSync('git', ['--git-dir', git, 'archive', '--format=tar', tag, 'tests/runtime', 'tests/testprogs', 'tests/testlibs'],
      { maxBuffer: 256 << 20 });
    execFileSync('tar', ['-x', '-C', root], { input: tar });
  }
  buildTestPrograms(tests);
  return tests;
}

/**
 * sonde's drop-in link: `bpftrace` → this checkout's bin/sonde, in .cache/compat/drop-in/<checkout>/
 * (.cache may be shared by several checkouts). Run through it, sonde is named bpftrace (comm,
 * cmdline), as the suite's cases expect: `comm` in BEGIN, `pidof bpftrace`, `pkill bpftrace`.
 */
export function dropInLink(repo = REPO, cacheRoot = join(REPO, '.cache', 'compat')): string {
  const dir = join(cacheRoot, 'drop-in', repo.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_/, ''));
  const link = join(dir, 'bpftrace');
  const target = join(repo, 'bin', 'sonde');
  let current: string | undefined;
  try {
    current = readlinkSync(link);
  } catch {
    // not there yet
  }
  if (current !== target) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${link}.${process.pid}`;
    rmSync(tmp, { force: true });
    symlinkSync(target, tmp);
    renameSync(tmp, link); // atomic: a concurrent run sees the old link or the new one
  }
  return link;
}

/** As tests/CMakeLists.txt: libraries -g -O0 -shared (then chmod -x); programs -g -O0 -no-pie. */
function buildTestPrograms(tests: string): void {
  const sdt = sh("echo '#include <sys/sdt.h>' | gcc -E -x c - >/dev/null 2>&1", tests).code === 0 ? ' -DHAVE_SYSTEMTAP_SYS_SDT_H' : '';
  if (!sdt) process.stderr.write('compat: <sys/sdt.h> not found (Debian: systemtap-sdt-dev); USDT test programs build without probes\n');
  const libs = join(tests, 'testlibs');
  for (const f of readdirSync(libs).filter((x) => x.endsWith('.c'))) {
    const out = join(libs, `lib${basename(f, '.c')}.so`);
    if (existsSync(out)) continue;
    const r = sh(`gcc -g -O0 -fPIC -shared${sdt} -o ${out} ${join(libs, f)}`, libs);
    if (r.code !== 0) process.stderr.write(`compat: could not build ${out}:\n${r.out}`);
    else chmodSync(out, 0o644);
  }
  const progs = join(tests, 'testprogs');
  for (const f of readdirSync(progs).filter((x) => x.endsWith('.c'))) {
    const name = basename(f, '.c');
    const out = join(progs, name);
    if (existsSync(out)) continue;
    // usdt_lib links against testlibs/libusdt_tp.so (CMake gives it a RUNPATH to the build tree).
    const extra = name === 'usdt_lib' ? ` -I${libs} -L${libs} -lusdt_tp -Wl,-rpath,${libs}` : '';
    const r = sh(`gcc -g -O0 -no-pie${sdt} -o ${out} ${join(progs, f)}${extra} -lpthread`, progs);
    if (r.code !== 0) process.stderr.write(`compat: could not build testprogs/${name}:\n${r.out}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Running one case, as runner.py does.

const ATTACH_TIMEOUT_S = 5;
const NOTIFY = '__BPFTRACE_NOTIFY_PROBES_ATTACHED\n';

function killGroup(p: ChildProcess | undefined, sig: NodeJS.Signals): void {
  if (!p || p.pid === undefined || p.exitCode !== null || p.signalCode !== null) return;
  try {
    process.kill(-p.pid, sig);
  } catch {
    // already gone
  }
}

function startShell(cmd: string, cwd: string, env: NodeJS.ProcessEnv, capture: boolean): ChildProcess {
  // `exec 2>&1` merges stderr into stdout in one pipe, in order, as Popen(stderr=STDOUT) does.
  return spawn('/bin/sh', ['-c', capture ? `exec 2>&1\n${cmd}` : cmd], {
    cwd,
    env,
    detached: true, // its own process group (os.setsid), so the whole pipeline can be signalled
    stdio: capture ? ['ignore', 'pipe', 'ignore'] : ['ignore', 'ignore', 'ignore'],
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pidof(name: string): string | null {
  const r = spawnSync('pidof', [name], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split(/\s+/)[0] ?? null : null;
}

export interface Engine {
  /** What {{BPFTRACE}} becomes. */
  path: string;
  features: Map<string, boolean>;
}

export async function runCase(c: Case, engine: Engine, cwd: string): Promise<Result> {
  const t0 = Date.now();
  const done = (r: Omit<Result, 'suite' | 'name' | 'seconds'>): Result => ({ suite: c.suite, name: c.name, ...r, seconds: (Date.now() - t0) / 1000 });
  const kernel = release();
  if (c.kernelMin && compareVersions(c.kernelMin, kernel) > 0) return done({ status: 'SKIP', reason: `min kernel ${c.kernelMin}` });
  if (c.kernelMax && compareVersions(c.kernelMax, kernel) < 0) return done({ status: 'SKIP', reason: `max kernel ${c.kernelMax}` });
  for (const req of c.requires) {
    if (sh(`${req} >/dev/null 2>&1`, cwd).code !== 0) return done({ status: 'SKIP', reason: `unmet condition: '${req}'` });
  }
  for (const f of c.features) if (!engine.features.get(f)) return done({ status: 'SKIP', reason: `missed feature: '${f}'` });
  for (const f of c.notFeatures) if (engine.features.get(f)) return done({ status: 'SKIP', reason: `missed feature: '!${f}'` });

  let before: ChildProcess | undefined;
  let after: ChildProcess | undefined;
  let p: ChildProcess | undefined;
  let cmd = c.run ? c.run.replace(/\{\{BPFTRACE\}\}/g, engine.path) : `${engine.path} -e '${c.prog}'`;
  try {
    let childName = '';
    if (c.before) {
      before = startShell(c.before, cwd, process.env, false);
      childName = basename(c.before.split(' ').at(-1)!);
      let waited = 0;
      while (pidof(childName) === null) {
        await sleep(100);
        waited += 0.1;
        if (waited > c.timeout) return done({ status: 'TIMEOUT', reason: `timed out waiting for BEFORE ${c.before}`, command: cmd });
      }
    }
    if (c.before && cmd.includes('{{BEFORE_PID}}')) cmd = cmd.replace(/\{\{BEFORE_PID\}\}/g, pidof(childName) ?? '');
    const env: NodeJS.ProcessEnv = {
      test: c.name,
      __BPFTRACE_NOTIFY_PROBES_ATTACHED: '1',
      __BPFTRACE_NOTIFY_AOT_PORTABILITY_DISABLED: '1',
      BPFTRACE_VERIFY_LLVM_IR: '1',
      ...c.env,
    };
    const proc = startShell(cmd, cwd, env, true);
    p = proc;
    let output = '';
    let attached = false;
    const exited = new Promise<number | null>((res) => proc.on('close', (code) => res(code)));
    let deadline = Date.now() + ATTACH_TIMEOUT_S * 1000;
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (d: string) => {
      output += d;
      if (!attached && output.includes(NOTIFY)) {
        // runner.py re-arms its alarm for TIMEOUT seconds and starts AFTER once attached.
        attached = true;
        deadline = Date.now() + (c.timeout || 5) * 1000;
        if (c.after) after = startShell(c.after, cwd, process.env, false);
      }
    });
    let code: number | null = null;
    let timedOut = false;
    for (;;) {
      const left = deadline - Date.now();
      const r = await Promise.race([exited.then((x) => ({ x })), sleep(Math.max(0, Math.min(left, 100))).then(() => null)]);
      if (r) {
        code = r.x;
        break;
      }
      if (Date.now() >= deadline) {
        timedOut = true;
        break;
      }
    }
    if (timedOut) {
      // Last chance, as runner.py: SIGTERM lets it print its maps, then search without re.M.
      killGroup(proc, 'SIGTERM');
      const r = await Promise.race([exited, sleep(10_000).then(() => 'hung' as const)]);
      if (r === 'hung') killGroup(proc, 'SIGKILL');
      await Promise.race([exited, sleep(2000)]);
      if (!pythonRegex(c.expect, false).test(output)) return done({ status: 'TIMEOUT', command: cmd, output, reason: `timeout ${c.timeout}s` });
      return done({ status: 'PASS', command: cmd });
    }
    if (code !== 0 && !c.willFail) return done({ status: 'FAIL', reason: `unclean exit code ${code}`, command: cmd, output, exitCode: code });
    if (pythonRegex(c.expect, true).test(output)) return done({ status: 'PASS', command: cmd, exitCode: code });
    return done({ status: 'FAIL', reason: `expected: ${c.expect}`, command: cmd, output, exitCode: code });
  } finally {
    killGroup(before, 'SIGKILL');
    killGroup(p, 'SIGKILL');
    killGroup(after, 'SIGKILL');
  }
}

// ---------------------------------------------------------------------------------------------
// Command line.

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

export function readSuites(tests: string): Case[] {
  const dir = join(tests, 'runtime');
  const out: Case[] = [];
  for (const f of readdirSync(dir, { withFileTypes: true })) {
    if (!f.isFile() || f.name.startsWith('.')) continue;
    out.push(...parseSuite(f.name, readFileSync(join(dir, f.name), 'utf8')));
  }
  return out;
}

function summarize(results: Result[]): Map<string, Record<Status, number>> {
  const by = new Map<string, Record<Status, number>>();
  for (const r of results) {
    const s = by.get(r.suite) ?? { PASS: 0, FAIL: 0, TIMEOUT: 0, SKIP: 0 };
    s[r.status]++;
    by.set(r.suite, s);
  }
  return new Map([...by].sort((a, b) => a[0].localeCompare(b[0])));
}

function compare(aFile: string, bFile: string): void {
  const a = JSON.parse(readFileSync(aFile, 'utf8')) as { engine: string; results: Result[] };
  const b = JSON.parse(readFileSync(bFile, 'utf8')) as { engine: string; results: Result[] };
  const sa = summarize(a.results);
  const sb = summarize(b.results);
  const ran = (s: Record<Status, number>) => s.PASS + s.FAIL + s.TIMEOUT;
  console.log(`| suite | cases | skipped | ${a.engine} passes | ${b.engine} passes |`);
  console.log('| --- | ---: | ---: | ---: | ---: |');
  const tot = { n: 0, skip: 0, pa: 0, pb: 0 };
  for (const [suite, s] of sa) {
    const t = sb.get(suite) ?? { PASS: 0, FAIL: 0, TIMEOUT: 0, SKIP: 0 };
    const n = ran(s) + s.SKIP;
    console.log(`| ${suite} | ${n} | ${s.SKIP} | ${s.PASS} / ${ran(s)} | ${t.PASS} / ${ran(t)} |`);
    tot.n += n; tot.skip += s.SKIP; tot.pa += s.PASS; tot.pb += t.PASS;
  }
  console.log(`| **total** | ${tot.n} | ${tot.skip} | **${tot.pa}** | **${tot.pb}** |`);
  const key = (r: Result) => `${r.suite}.${r.name}`;
  const bStatus = new Map(b.results.map((r) => [key(r), r.status]));
  const regress = a.results.filter((r) => r.status !== 'PASS' && r.status !== 'SKIP' && bStatus.get(key(r)) === 'PASS');
  console.log(`\n${b.engine} passes, ${a.engine} does not (${regress.length}):`);
  for (const r of regress) console.log(`- ${key(r)}: ${r.status} ${r.reason ?? ''}`);
  const better = a.results.filter((r) => r.status === 'PASS' && bStatus.get(key(r)) !== 'PASS');
  console.log(`\n${a.engine} passes, ${b.engine} does not (${better.length}):`);
  for (const r of better) console.log(`- ${key(r)}`);
}

const USAGE = `usage: run.js --git BPFTRACE_GIT_DIR [--tag v0.17.0] | --src CHECKOUT  [--engine sonde|bpftrace|PATH] [--suite A,B] [--name REGEX] [--json OUT] [--quiet]
       run.js --compare A.json B.json
  --engine sonde (the default) runs this checkout's bin/sonde through a link named bpftrace that it
  creates in .cache/compat/drop-in/: sonde's drop-in mode, whose process is named bpftrace, as the
  cases that read comm or run \`pidof bpftrace\`/\`pkill bpftrace\` expect.
  --engine bpftrace runs the bpftrace on PATH; --engine PATH runs that executable.`;

async function main(argv: string[]): Promise<number> {
  const cmp = arg(argv, '--compare');
  if (cmp) {
    compare(cmp, argv[argv.indexOf('--compare') + 2]!);
    return 0;
  }
  const git = arg(argv, '--git');
  const src = arg(argv, '--src');
  const tag = arg(argv, '--tag') ?? 'v0.17.0';
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  if (!git && !src) {
    console.error(USAGE);
    return 2;
  }
  if (process.getuid?.() !== 0) {
    console.error('compat: must run as root');
    return 2;
  }
  const tests = src ? join(resolve(src), 'tests') : prepareTree(resolve(git!), tag);
  if (src) buildTestPrograms(tests);
  const engineName = arg(argv, '--engine') ?? 'sonde';
  const path = engineName === 'sonde' ? dropInLink() : engineName === 'bpftrace' ? execFileSync('sh', ['-c', 'command -v bpftrace'], { encoding: 'utf8' }).trim() : resolve(engineName);
  const info = spawnSync('bpftrace', ['--info'], { encoding: 'utf8' });
  const features = featuresFromInfo((info.stdout ?? '') + (info.stderr ?? ''));
  const engine: Engine = { path, features };
  const suites = arg(argv, '--suite')?.split(',');
  const nameRe = arg(argv, '--name');
  const quiet = argv.includes('--quiet');
  let cases = readSuites(tests);
  if (suites) cases = cases.filter((c) => suites.includes(c.suite));
  if (nameRe) cases = cases.filter((c) => new RegExp(nameRe).test(c.name));
  cases.sort((a, b) => a.suite.localeCompare(b.suite));
  const results: Result[] = [];
  for (const c of cases) {
    const r = await runCase(c, engine, tests);
    results.push(r);
    const tag = { PASS: '[       OK ]', FAIL: '[  FAILED  ]', TIMEOUT: '[  TIMEOUT ]', SKIP: '[   SKIP   ]' }[r.status];
    console.log(`${tag} ${c.suite}.${c.name}${r.status === 'SKIP' ? ` (${r.reason})` : ''}`);
    if (!quiet && (r.status === 'FAIL' || r.status === 'TIMEOUT')) {
      console.log(`\tCommand: ${r.command}\n\t${r.reason}\n\tOutput: ${JSON.stringify((r.output ?? '').slice(0, 2000))}`);
    }
  }
  const json = arg(argv, '--json');
  if (json) writeFileSync(json, JSON.stringify({ engine: engineName, tag, results }, null, 1));
  const total = { PASS: 0, FAIL: 0, TIMEOUT: 0, SKIP: 0 };
  for (const [suite, s] of summarize(results)) {
    console.log(`${suite}: ${s.PASS} passed, ${s.FAIL + s.TIMEOUT} failed, ${s.SKIP} skipped`);
    for (const k of Object.keys(total) as Status[]) total[k] += s[k];
  }
  console.log(`compat (${engineName}): ${total.PASS} passed, ${total.FAIL + total.TIMEOUT} failed, ${total.SKIP} skipped`);
  return 0;
}

// Under `node --test dist/test/` every .js file below test/ is loaded as a test file: do nothing there.
if (process.env.NODE_TEST_CONTEXT === undefined && process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((c) => process.exit(c), (e) => {
    console.error(e);
    process.exit(1);
  });
}
