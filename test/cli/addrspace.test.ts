// Address spaces on the real kernel: an integer made a pointer in a probe that can interrupt any
// process (profile, interval) reads the interrupted process's user memory (bpf_probe_read, as
// bpftrace 0.17); kaddr() is a kernel address in a uprobe too. The child (test/fixtures/src/
// addr_spin.c) prints the addresses of its globals and spins, so `/pid == child/` finds it running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { needsRoot } from '../support/root.js';
import { buildFixture } from '../fixtures/build.js';

import { runSonde } from '../support/sonde.js';

const sonde = (args: string[]) => runSonde(args);

/** Starts addr_spin (pinned to `cpu` if given) and waits for its line of addresses. */
async function spinner(cpu?: number): Promise<{ child: ChildProcess; bin: string; value: string; text: string }> {
  const bin = await buildFixture('addr_spin');
  const child = spawn(bin, cpu === undefined ? [] : [String(cpu)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.on('exit', (code) => reject(new Error(`addr_spin exited (${code}) before printing its addresses`)));
  });
  const [value, text] = line.split(' ');
  return { child, bin, value: `0x${value}`, text: `0x${text}` };
}

test('profile /pid == child/: an integer cast reads the child\'s user memory (*, str(), a struct field)', needsRoot, async () => {
  const s = await spinner();
  try {
    const r = sonde(['-e', `struct v { uint64_t x; } profile:hz:997 /pid == ${s.child.pid}/ { `
      + `printf("%lx %s %lx\\n", *(uint64 *)${s.value}, str(${s.text}), ((struct v *)${s.value})->x); exit(); }`]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Attaching 1 probe...\n5eed0f5a5eed0f5a sonde-addrspace 5eed0f5a5eed0f5a\n\n\n');
  } finally {
    s.child.kill();
  }
});

test('interval /pid == child/ (the child pinned to CPU 0, where intervals fire): the same reads', needsRoot, async () => {
  const s = await spinner(0);
  try {
    const r = sonde(['-e', `interval:ms:10 /pid == ${s.child.pid}/ { $p = ${s.value}; @v = *(uint64 *)$p; @s = str(${s.text}, 5); exit(); }`]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `Attaching 1 probe...\n\n\n@s: sonde\n@v: ${0x5eed0f5a5eed0f5an}\n`);
  } finally {
    s.child.kill();
  }
});

test('*kaddr() and str(kaddr()) in a uprobe read kernel memory: the same value as in BEGIN', needsRoot, async () => {
  // __start_rodata: read-only data, the same in both reads (this kernel lists no other variable).
  const sym = /^[0-9a-f]+ \w __start_rodata$/m.test(readFileSync('/proc/kallsyms', 'utf8')) ? '__start_rodata' : 'vfs_read';
  const s = await spinner();
  try {
    const r = sonde(['-e', `BEGIN { @k = *kaddr("${sym}"); @ks = str(kaddr("${sym}"), 8); } `
      + `uprobe:${s.bin}:sonde_tick /pid == ${s.child.pid}/ { @u = *kaddr("${sym}"); @us = str(kaddr("${sym}"), 8); exit(); }`]);
    assert.equal(r.code, 0, r.err);
    const maps = Object.fromEntries([...r.out.matchAll(/^@(\w+): (.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    assert.notEqual(maps.k, '0');
    assert.notEqual(maps.ks, '');
    assert.equal(maps.u, maps.k);
    assert.equal(maps.us, maps.ks);
  } finally {
    s.child.kill();
  }
});
