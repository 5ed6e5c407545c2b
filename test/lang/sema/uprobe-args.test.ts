// `args` in uprobes and struct casts typed from the probed binary's DWARF (src/lang/sema/
// uprobe-args.ts, dwarf-types.ts), with the debug info of test/fixtures/src/dwarf_target.c handed
// to the compiler through KernelView.userDebugInfo: no root needed.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import { DwarfInfo, ElfFile } from '../../../src/elf/index.js';
import { compile } from '../../../src/lang/compile.js';
import { langError } from '../lang-error.js';
import { KernelViewError, type KernelView } from '../../../src/lang/kernel-view.js';
import { parse } from '../../../src/lang/parser.js';
import { analyze, PT_REGS } from '../../../src/lang/sema/analyze.js';
import { typeName, type RecordType } from '../../../src/lang/types.js';
import { buildFixture } from '../../fixtures/build.js';
import { fixtureKernel } from './fixture.js';

let dwarf: DwarfInfo;
const asked: string[] = [];

function kernel(): KernelView {
  return {
    ...fixtureKernel(),
    userDebugInfo: (binary: string) => {
      asked.push(binary);
      if (binary === '/bin/nodebug') return { path: binary, dwarf: undefined };
      if (binary === '/bin/missing') throw new KernelViewError('/bin/missing: no such file');
      return { path: binary, dwarf };
    },
  };
}

function sema(src: string) {
  return analyze(parse(src, { file: 't.bt' }), { kernel: kernel(), file: 't.bt' });
}

function error(src: string): string {
  return langError(() => compile(src, { kernel: kernel(), file: 't.bt' }), `compiled: ${src}`);
}

describe('uprobe args from DWARF', () => {
  before(async () => {
    dwarf = DwarfInfo.fromElf(ElfFile.open(await buildFixture('dwarf_target')))!;
  });

  it('each parameter is read from its argument register in pt_regs, typed from DWARF', () => {
    const a = sema('uprobe:/bin/t:take_scalars { @a = args->count; @b = args->tag; @c = args->big; @d = args.small; }');
    const rec = a.units[0]!.args!;
    assert.equal(rec.name, 'struct _uprobe_take_scalars_args');
    assert.deepEqual(rec.fields.map((f) => [f.name, typeName(f.type), f.offset]), [
      ['count', 'int32', PT_REGS['di']], ['tag', 'int8', PT_REGS['si']], ['big', 'uint64', PT_REGS['dx']], ['small', 'int16', PT_REGS['cx']],
    ]);
  });

  it('pointers are user pointers to the binary’s own types', () => {
    const a = sema('uprobe:/bin/t:take_pointers { @a = args->rec->at.y; @b = args->rec->label; }');
    const rec = a.units[0]!.args!.fields.find((f) => f.name === 'rec')!.type;
    assert.ok(rec.kind === 'pointer' && rec.space === 'user' && rec.to.kind === 'record');
    const r = rec.to as RecordType;
    assert.equal(r.name, 'struct record');
    assert.equal(r.size, 112);
    assert.deepEqual(r.fields.map((f) => `${f.name}:${typeName(f.type)}@${f.offset}`), [
      'id:int32@0', 'label:string[12]@4', 'samples:int32[4]@16', 'at:struct point@32', 'fl:struct flags@40', 'w:union word@48',
      'grid:int32[3][2]@52', 'note:int8 *@80', 'next:struct record *@88', 'mode:uint32@96', 'hits:uint64@104',
    ]);
    // `->at` through the pointer, `.y` inside it; `->label` through the pointer.
    const locs = [...a.units[0]!.fieldLocs.entries()].map(([e, l]) => [e.field, l.via, l.offset, l.space]);
    assert.deepEqual(locs.sort(), [['at', 'ptr', 32, 'user'], ['label', 'ptr', 4, 'user'], ['y', 'value', 2, 'user']]);
  });

  it('bitfields keep their bit offsets and widths', () => {
    const a = sema('uprobe:/bin/t:take_pointers { @a = args->rec->fl.level; @b = args->rec->fl.big; }');
    const locs = [...a.units[0]!.fieldLocs.entries()].filter(([e]) => e.field === 'level' || e.field === 'big').map(([e, l]) => [e.field, l.offset, l.bitOffset, l.bitWidth]);
    // Offsets inside `fl` (itself at 40 in struct record).
    assert.deepEqual(locs, [['level', 0, 1, 5], ['big', 0, 6, 40]]);
  });

  it('parameters after a small struct passed by value move to the next register', () => {
    const a = sema('uprobe:/bin/t:take_struct { @n = args->n; }');
    assert.equal(a.units[0]!.args!.fields.find((f) => f.name === 'n')!.offset, PT_REGS['si']);
    // The double takes an SSE register: a3 is still the third general-purpose one.
    const m = sema('uprobe:/bin/t:take_many { @x = args->a3; @y = args->a6; }');
    assert.deepEqual(m.units[0]!.args!.fields.map((f) => [f.name, f.offset]), [
      ['a1', PT_REGS['di']], ['a2', PT_REGS['si']], ['a3', PT_REGS['dx']], ['a4', PT_REGS['cx']], ['a5', PT_REGS['r8']], ['a6', PT_REGS['r9']],
    ]);
  });

  it('a cast to a struct the script does not define takes the binary’s; the script’s own wins', () => {
    const a = sema('uprobe:/bin/t:take_pointers { @a = ((struct record *)arg2)->hits; }');
    assert.deepEqual([...a.units[0]!.fieldLocs.values()].map((l) => [l.offset, typeName(l.type), l.space]), [[104, 'uint64', 'user']]);
    const b = sema('struct record { int hits; } uprobe:/bin/t:take_pointers { @a = ((struct record *)arg2)->hits; }');
    assert.deepEqual([...b.units[0]!.fieldLocs.values()].map((l) => [l.offset, typeName(l.type)]), [[0, 'int32']]);
  });

  it('scripts that need no types do not ask for debug info', () => {
    asked.length = 0;
    sema('uprobe:/bin/t:take_pointers { @a = arg0; @b = (uint64)arg1; }');
    assert.deepEqual(asked, []);
  });

  it('errors: no debug info, unknown parameter, unreadable parameters, uretprobe', () => {
    assert.equal(error('uprobe:/bin/nodebug:f { @a = args->x; }'), [
      't.bt:1:30: ERROR: /bin/nodebug has no DWARF debug info, which args needs to know the parameters of f',
      'uprobe:/bin/nodebug:f { @a = args->x; }',
      '                             ^~~~',
      'hint: build it with -g, or install its debug symbols (a -dbg/-dbgsym/-debuginfo package)',
    ].join('\n'));
    assert.match(error('uprobe:/bin/t:take_pointers { @a = args->valeu; }'),
      /ERROR: take_pointers in \/bin\/t has no parameter 'valeu'\n.*\n.*\nhint: its parameters are: value, text, rec$/);
    assert.match(error('uprobe:/bin/t:take_many { @a = args->ratio; }'), /ERROR: args\.ratio: double parameters are passed in SSE registers, which a uprobe cannot read/);
    assert.match(error('uprobe:/bin/t:take_many { @a = args->a7; }'), /ERROR: args\.a7: parameter 8 of take_many is passed on the stack/);
    assert.match(error('uprobe:/bin/t:take_struct { @a = args->p; }'), /ERROR: args\.p: struct point is passed by value/);
    assert.match(error('uprobe:/bin/t:nothere { @a = args->x; }'), /ERROR: the debug info of \/bin\/t has no function nothere/);
    assert.match(error('uprobe:/bin/missing:f { @a = args->x; }'), /ERROR: cannot read the debug info of \/bin\/missing: \/bin\/missing: no such file/);
    assert.match(error('uretprobe:/bin/t:take_pointers { @a = args->value; }'),
      /ERROR: The args builtin can only be used with tracepoint, fentry\/fexit and uprobe probes \(uretprobe used here\)/);
    assert.match(error('uprobe:/bin/t:take_pointers { $x = args; }'), /ERROR: args cannot be assigned to a variable/);
  });
});
