// The cases of bpftrace v0.17's runtime suite where sonde deliberately does something else
// (docs/COMPAT.md, "Differences by design"), each pinned here with sonde's behaviour and the reason,
// so that a change to either side is a decision and not an accident.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isRoot } from '../support/root.js';
import { runSonde } from '../support/sonde.js';
import { buildFixture } from '../fixtures/build.js';

const root = { skip: isRoot ? false : 'needs root (CI runs as root)', timeout: 60_000 };

const sonde = (...args: string[]) => runSonde(args, { timeout: 30_000 });

describe("differences from bpftrace 0.17's runtime cases, by design", () => {
  it('other.bitfield_access_2: signed bitfields are sign-extended, as C reads them (bpftrace 0.17 zero-extends: 1 217 5 1 500 …)', root, async () => {
    // The fixture stores through unsigned bitfields, then prints C's own reading of the same bytes
    // through the signed declaration the script uses; sonde must agree with C, not with bpftrace.
    const bin = await buildFixture('bitfields');
    const script = 'struct Bar { short a:4, b:8, c:3, d:1; int e:9, f:15, g:1, h:2, i:5 } uprobe:' + bin + ':bar_seen { $bar = (struct Bar *)arg0; '
      + 'printf("sonde: %d %d %d %d %d", $bar->a, $bar->b, $bar->c, $bar->d, $bar->e); printf(" %d %d %d %d\\n", $bar->f, $bar->g, $bar->h, $bar->i); exit() }';
    const r = sonde('-e', script, '-c', bin);
    assert.equal(r.code, 0, r.err);
    const c = /^C: (.*)$/m.exec(r.out)?.[1];
    const s = /^sonde: (.*)$/m.exec(r.out)?.[1];
    assert.equal(c, '1 -39 -3 -1 -12 -1651 -1 -2 -5', r.out);
    assert.equal(s, c);
  });

  it("json-output.join_delim: -c splits its words as a shell does, so quotes group and go (bpftrace 0.17 keeps them: /bin/echo,'A')", root, () => {
    const r = sonde('-f', 'json', '-e', 'tracepoint:syscalls:sys_enter_execve /pid == cpid/ { join(args->argv, ","); }', '-c', "/bin/echo 'A' \"B C\"");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^\{"type": "join", "data": "\/bin\/echo,A,B C"\}$/m);
  });

  it("probe.kprobe_target / kretprobe_target: kprobe:MODULE:FUNCTION is bpftrace >= 0.18's form, not 0.17's \"requires 1 argument\"", () => {
    for (const kind of ['kprobe', 'kretprobe']) {
      const r = sonde('-d', '-e', `${kind}:syscalls:sys_exit_nanosleep { exit(); }`);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`attach ${kind}:syscalls:sys_exit_nanosleep => ${kind} module=syscalls func=sys_exit_nanosleep`));
      assert.doesNotMatch(r.out + r.err, /requires 1 argument/);
    }
  });

  it('regression.async_id_invalid_probe_expansion: a probe that cannot attach is an error by default (bpftrace >= 0.20; 0.17 skipped it), nothing runs', root, () => {
    const r = sonde('-e', 'kprobe:zzzzz { probe; printf("asdf\\n") } BEGIN { printf("_%s_\\n", "success"); exit() }');
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.out, /_success_/);
    assert.match(r.err, /ERROR: cannot attach kprobe:zzzzz: /);
  });

  it('signals.sigint quit: a script of only END ends at once, as bpftrace >= 0.20 does (0.17 waits for Ctrl-C)', root, () => {
    const t0 = Date.now();
    const r = sonde('-e', 'END { printf("%s %d\\n", "SUCCESS", 1) }');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Attaching 1 probe...\nSUCCESS 1\n\n\n');
    assert.ok(Date.now() - t0 < 20_000);
  });
});
