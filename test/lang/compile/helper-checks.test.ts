// -k / -kk (CompileOptions.helperChecks): which helper calls are checked, where their failures are
// reported, and that without the option not one instruction changes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { disassemble } from '../../../src/asm/disasm.js';
import { compile, compileToIr, type CompileOptions } from '../../../src/lang/compile.js';
import type { EventDef } from '../../../src/lang/spec.js';
import { fixtureKernel } from '../sema/fixture.js';

const build = (src: string, opts: Partial<CompileOptions> = {}) => compile(src, { kernel: fixtureKernel(), ...opts });

/** The helper_error events as `helper@line:col-endCol`, in the order the calls are lowered. */
function reports(src: string, level: number, opts: Partial<CompileOptions> = {}): string[] {
  const c = compileToIr(src, { kernel: fixtureKernel(), helperChecks: level, ...opts });
  return c.events.flatMap((e: EventDef) => (e.kind === 'helper_error' ? [`${e.helper}@${e.span!.line}:${e.span!.col}-${e.span!.endCol}`] : []));
}

const SCRIPT = 'tracepoint:syscalls:sys_enter_openat { @n[args->flags] = 1; delete(@n[2]); @c[comm] = count(); printf("%d %s\\n", @n[3], str(args->filename)); @n[4]++; }';

describe('-k / -kk: helper checks', () => {
  it('level 0 (or no option) emits exactly the same programs and events', () => {
    for (const src of [SCRIPT, 'struct foo { int a; }; BEGIN { @[1] = 1; delete(@[2]); $x = ((struct foo *) 0)->a; @s[kstack] = count(); exit(); }']) {
      const plain = build(src);
      const zero = build(src, { helperChecks: 0 });
      assert.deepEqual(zero.events, plain.events);
      assert.deepEqual(zero.programs.map((p) => disassemble(p.insns)), plain.programs.map((p) => disassemble(p.insns)));
      assert.ok(!plain.events.some((e) => e.kind === 'helper_error'));
    }
  });

  it('-k: updates, deletes, get_current_comm (and the aggregation insert at its call); no lookups, no reads', () => {
    assert.deepEqual(reports(SCRIPT, 1), [
      'map_update_elem@1:40-59', // @n[args->flags] = 1
      'map_delete_elem@1:61-74', // delete(@n[2])
      'get_current_comm@1:79-83', // comm in the key of @c
      'map_update_elem@1:87-94', // count(): the first insert of @c[comm]
      'map_update_elem@1:143-150', // @n[4]++ inserting 1
    ]);
  });

  it('-kk: also the probe reads and the lookups of values the script reads (a read of @n[3], the read half of @n[4]++)', () => {
    assert.deepEqual(reports(SCRIPT, 2), [
      'map_update_elem@1:40-59',
      'map_delete_elem@1:61-74',
      'get_current_comm@1:79-83',
      'map_update_elem@1:87-94',
      'map_lookup_elem@1:114-119', // @n[3]
      'probe_read_user_str@1:121-140', // str(args->filename), written into the printf record
      'map_lookup_elem@1:143-150', // @n[4]++
      'map_update_elem@1:143-150',
    ]);
  });

  it('a level above 2 is -kk', () => {
    assert.deepEqual(reports(SCRIPT, 3), reports(SCRIPT, 2));
  });

  it('a read reused from an earlier one of the same entry is not a second lookup, so not a second report', () => {
    assert.deepEqual(reports('BEGIN { @m[pid] = 1; printf("%d %d\\n", @m[pid], @m[pid]); }', 2), ['map_update_elem@1:9-20', 'map_lookup_elem@1:40-47']);
  });

  it('kstack: a failed get_stackid is reported with -k', () => {
    assert.deepEqual(reports('tracepoint:syscalls:sys_enter_openat { @[kstack] = 1; }', 1), ['get_stackid@1:42-48', 'map_update_elem@1:40-53']);
  });

  it('a pointer dereference is reported at its whole expression, parentheses included (as bpftrace points at it)', () => {
    // An integer cast in BEGIN points nobody knows where: bpf_probe_read, reported as bpftrace's "probe_read".
    assert.deepEqual(reports('struct foo { int a; }; BEGIN { $tmp = ((struct foo *) 0)->a; exit(); }', 2), ['probe_read@1:39-60']);
    assert.deepEqual(reports('struct foo { int a; }; BEGIN { $tmp = ((struct foo *) 0)->a; exit(); }', 1), []);
  });

  it('keyless maps live in hashes: reading one never assigned is a failed lookup; has_key() is a question, not a failure', () => {
    assert.deepEqual(reports('BEGIN { printf("%d\\n", @x); @x = 1; }', 2), ['map_lookup_elem@1:24-26', 'map_update_elem@1:29-35']);
    assert.deepEqual(reports('BEGIN { @m[1] = 1; if (has_key(@m, 2)) { exit(); } }', 2), ['map_update_elem@1:9-18']);
  });

  it('tid-indexed maps: a slot not present reads as a failed lookup (-kk), deleting it fails as the hash would (ENOENT, -k)', () => {
    const src = 'tracepoint:syscalls:sys_enter_read { @s[tid] = nsecs; } tracepoint:syscalls:sys_exit_read /@s[tid]/ { @n = count(); delete(@s[tid]); }';
    const c = compileToIr(src, { kernel: fixtureKernel(), helperChecks: 2, tidSlots: 64 });
    assert.ok(c.maps.some((m) => m.name === '.tid@s'));
    // The slot and the hash beyond it report at the same place: one event each for the read and the delete.
    assert.deepEqual(reports(src, 2, { tidSlots: 64 }), ['map_update_elem@1:38-53', 'map_lookup_elem@1:92-99', 'map_delete_elem@1:117-132']);
    // The slot's delete reports -ENOENT as a constant (no helper is called there).
    const main = c.programs[1]!.ir.main;
    const stores = main.blocks.flatMap((b) => b.insns).filter((i) => i.op === 'store' && i.value === -2n);
    assert.equal(stores.length, 1);
  });
});
