// kstack and ustack through bin/sonde, printed as bpftrace 0.17 prints them (root only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { needsRoot } from '../support/root.js';
import { fixtureSources } from '../fixtures/build.js';

const SONDE = fileURLToPath(new URL('../../../bin/sonde', import.meta.url));

/** Map keys that are stacks: `@name[` … `]: N` blocks, frames as printed. */
function stackKeys(out: string, name = ''): { frames: string[]; count: number }[] {
  const re = new RegExp(`^@${name}\\[\\n((?:.*\\n)*?)\\]: (\\d+)$`, 'gm');
  return [...out.matchAll(re)].map((m) => ({ frames: m[1]!.split('\n').filter((l) => l !== ''), count: Number(m[2]) }));
}

test('profile: @[kstack] shows kernel function names, 4-space frames with +offset; perf mode and kstack(N)', needsRoot, () => {
  // Something that spends time in the kernel on every CPU the sampler may hit.
  const busy = spawn('dd', ['if=/dev/zero', 'of=/dev/null', 'bs=4k', 'count=2000000'], { stdio: 'ignore' });
  try {
    const r = spawnSync(SONDE, ['-e', 'profile:hz:99 { @[kstack] = count(); @p[kstack(perf)] = count(); @t[kstack(2)] = count(); } interval:s:1 { exit(); }'],
      { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Attaching 2 probes\.\.\.\n\n\n@\[/);
    const plain = stackKeys(r.stdout).filter((k) => k.frames.length > 0);
    assert.ok(plain.length > 0, r.stdout);
    for (const k of plain) for (const f of k.frames) assert.match(f, /^ {4}[A-Za-z_][\w.]*\+\d+$/, `frame ${JSON.stringify(f)}`);
    const names = new Set(plain.flatMap((k) => k.frames.map((f) => f.trim().replace(/\+\d+$/, ''))));
    // Every sample taken in the kernel came in through an entry path these names belong to.
    assert.ok([...names].some((n) => /^(entry_SYSCALL_64|do_syscall_64|asm_|__x64_sys_|ksys_|vfs_|do_idle|cpu_startup_entry|default_idle|pv_native_safe_halt|irqentry)/.test(n)), [...names].join(' '));
    const perf = stackKeys(r.stdout, 'p').filter((k) => k.frames.length > 0);
    assert.ok(perf.length > 0);
    for (const k of perf) for (const f of k.frames) assert.match(f, /^\tffffffff[0-9a-f]{8} [A-Za-z_][\w.]*\+\d+$/, `frame ${JSON.stringify(f)}`);
    for (const k of stackKeys(r.stdout, 't')) assert.ok(k.frames.length <= 2, k.frames.join('|'));
  } finally {
    busy.kill();
  }
});

test('uprobe: @[ustack] on the fixture shows sonde_target_c, _b, _a, main in call order, after the process exited', needsRoot, async () => {
  // The shared fixture is built at -O1, where gcc leaves leaf functions without a frame: a probe
  // on sonde_target_c's first instruction then skips its caller (the frame-pointer walk starts at
  // _b's frame). At -O0 every function begins with `push %rbp`, and the kernel adds the return
  // address at a uprobe on a function's entry: the whole chain shows.
  const dir = mkdtempSync(join(tmpdir(), 'sonde-ustack-'));
  try {
    const bin = join(dir, 'uprobe_target');
    await promisify(execFile)('cc', ['-O0', '-g', '-fno-omit-frame-pointer', '-o', bin, ...fixtureSources('uprobe_target')]);
    const script = `uprobe:${bin}:sonde_target_c { @[ustack] = count(); @p[ustack(perf)] = count(); @s[usym(reg("ip"))] = count(); }`;
    // --wait: the command blocks on stdin after its libraries are loaded, so sonde sees its map;
    // the stacks are printed after it exited.
    const proc = spawn(SONDE, ['-e', script, '-c', `${bin} --wait 3`], {
      env: { ...process.env, __BPFTRACE_NOTIFY_PROBES_ATTACHED: '1' }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
    await new Promise<void>((resolve, reject) => {
      proc.stderr.on('data', (d) => {
        err += d;
        if (err.includes('__BPFTRACE_NOTIFY_PROBES_ATTACHED\n')) resolve();
      });
      void exited.then((c) => reject(new Error(`sonde exited (${c}): ${err}`)));
    });
    await new Promise((r) => setTimeout(r, 300));
    proc.stdin.end('x');
    assert.equal(await exited, 0, err);
    assert.match(out, /loop=6 chain=30 twins=300\n/);
    const [u] = stackKeys(out);
    assert.ok(u, out);
    assert.equal(u.count, 3);
    const names = u.frames.map((f) => f.replace(/^ {4}/, '').replace(/\+\d+$/, ''));
    assert.deepEqual(names.slice(0, 4), ['sonde_target_c', 'sonde_target_b', 'sonde_target_a', 'main'], out);
    assert.equal(u.frames[0], '    sonde_target_c+0');
    for (const f of u.frames) assert.match(f, /^ {4}\S+\+\d+$/);
    const [p] = stackKeys(out, 'p');
    assert.ok(p);
    assert.match(p.frames[0]!, new RegExp(`^\\t[0-9a-f]+ sonde_target_c\\+0 \\(${bin.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)$`));
    assert.match(p.frames[3]!, /^\t[0-9a-f]+ main\+\d+ \(/);
    assert.match(out, /^@s\[sonde_target_c\]: 3$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('profile: a Node.js process run with --perf-basic-prof shows its JIT-compiled JavaScript by name', needsRoot, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sonde-jit-'));
  const js = 'function sondeHotLoop(){let s=0;for(let i=0;i<2e8;i++){s+=i%7;}return s} let t=0; for(let k=0;k<4;k++) t+=sondeHotLoop(); console.log(t > 0)';
  let pid: number | undefined;
  try {
    const r = spawnSync(SONDE, ['-e', 'profile:hz:199 /pid == cpid/ { @[ustack(2)] = count(); } END { printf("pid=%d\\n", cpid); }', '-c', `${process.execPath} --perf-basic-prof -e '${js}'`],
      { encoding: 'utf8', timeout: 120_000, cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    pid = Number(/pid=(\d+)/.exec(r.stdout)?.[1]);
    // The JIT's frames, named from /tmp/perf-PID.map; the process had exited when they printed.
    assert.match(r.stdout, /^ {4}(JS|LazyCompile):[*~]?sondeHotLoop .*\+\d+$/m, r.stdout.slice(0, 3000));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (pid) rmSync(`/tmp/perf-${pid}.map`, { force: true });
  }
});
