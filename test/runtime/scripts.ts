// Hand-built compiled scripts (what the compiler will produce), for runtime tests that must not
// depend on the compiler: programs written with the asm builders, maps and events as data.
import { Mov, Rsh, JNe, JEq, St, Add, LdMapFd, Call, Exit, AtomicAdd, Stx, Ldx } from '../../src/asm/builders.js';
import { Label, R0, R1, R2, R3, R4, R6, R10, type AsmItem, type Reg } from '../../src/asm/insn.js';
import { Helper } from '../../src/asm/helpers.js';
import type { AttachDef, CompiledScript, EventDef, MapDef, ProgramDef } from '../../src/lang/spec.js';
import { UINT32, UINT64, VOID, type SType } from '../../src/lang/types.js';
import type { Renderer, EventRecord } from '../../src/runtime/script.js';
import type { RawMapEntry } from '../../src/runtime/map-read.js';

let labels = 0;
const fresh = (p: string): string => `${p}_${labels++}`;

/** Sends a ring buffer record: header (event id), then u64 words from registers or immediates. */
export function emit(id: number, words: (Reg | { imm: number })[] = []): AsmItem[] {
  const size = 8 + 8 * words.length;
  const items: AsmItem[] = [St(4, R10, -size, id), St(4, R10, -size + 4, 0)];
  words.forEach((w, i) => {
    if (typeof w === 'number') items.push(Stx(8, R10, -size + 8 + 8 * i, w));
    else items.push(St(8, R10, -size + 8 + 8 * i, w.imm));
  });
  items.push(
    LdMapFd(R1, '.events'), Mov.reg(R2, R10), Add.imm(R2, -size), Mov.imm(R3, size), Mov.imm(R4, 0),
    Call.helper(Helper.ringbuf_output),
  );
  return items;
}

/** map[key] += delta for a u32-keyed array map (key an immediate). Clobbers R0-R5. */
export function arrayAdd(map: string, key: number, delta: number): AsmItem[] {
  const skip = fresh('skip');
  return [
    St(4, R10, -4, key), Mov.reg(R2, R10), Add.imm(R2, -4), LdMapFd(R1, map),
    Call.helper(Helper.map_lookup_elem), JEq.imm(R0, 0, skip),
    Mov.imm(R1, delta), AtomicAdd(8, R0, 0, R1),
    Label(skip),
  ];
}

/** map[key] = value in a u64 → u64 hash map (immediates). Clobbers R0-R5. */
export function hashSet(map: string, key: number, value: number): AsmItem[] {
  return [
    St(8, R10, -16, key), St(8, R10, -8, value),
    LdMapFd(R1, map), Mov.reg(R2, R10), Add.imm(R2, -16), Mov.reg(R3, R10), Add.imm(R3, -8), Mov.imm(R4, 0),
    Call.helper(Helper.map_update_elem),
  ];
}

/** Skips to the program's end unless the current process is the one in '.cpid' slot 0. */
export function onlyCpid(out = 'out'): AsmItem[] {
  return [
    Call.helper(Helper.get_current_pid_tgid), Rsh.imm(R0, 32), Mov.reg(R6, R0),
    St(4, R10, -4, 0), Mov.reg(R2, R10), Add.imm(R2, -4), LdMapFd(R1, '.cpid'),
    Call.helper(Helper.map_lookup_elem), JEq.imm(R0, 0, out),
    Ldx(8, R1, R0, 0), JNe.reg(R1, R6, out),
  ];
}

export function program(name: string, attach: AttachDef[], body: AsmItem[], probeIndex = 0): ProgramDef {
  const first = attach[0]!;
  const progKind: ProgramDef['progKind'] =
    first.kind === 'begin' || first.kind === 'end' ? 'raw_tracepoint'
      : first.kind === 'tracepoint' ? 'tracepoint'
        : first.kind === 'profile' || first.kind === 'interval' || first.kind === 'software' ? 'perf_event'
          : first.kind === 'uprobe' || first.kind === 'uretprobe' ? 'kprobe' : 'raw_tracepoint';
  const probeName = first.kind === 'begin' ? 'BEGIN' : first.kind === 'end' ? 'END' : first.kind === 'tracepoint' ? `tracepoint:${first.category}:${first.event}` : first.kind;
  return {
    name, probeIndex, probeName, progKind, attach,
    insns: [...body, Label('out'), Mov.imm(R0, 0), Exit()],
  };
}

export const eventsMap: MapDef = {
  name: '.events', kernelName: 'events', kind: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 0,
  key: VOID, value: VOID, user: false,
};
export const cpidMap: MapDef = {
  name: '.cpid', kernelName: 'cpid', kind: 'array', keySize: 4, valueSize: 8, maxEntries: 1,
  key: UINT32, value: UINT64, user: false,
};

export function countMap(name: string, percpu = false): MapDef {
  return {
    name, kernelName: name.replace(/^@/, 'm_') || 'm_', kind: percpu ? 'percpu_array' : 'array', keySize: 4, valueSize: 8,
    maxEntries: 1, key: VOID, value: { kind: 'agg', fn: 'count', signed: false }, user: true,
  };
}

export function hashMap(name: string, value: SType = UINT64): MapDef {
  return {
    name, kernelName: name.replace(/^@/, 'm_'), kind: 'hash', keySize: 8, valueSize: 8, maxEntries: 4096,
    key: UINT64, value, user: true,
  };
}

export function script(parts: { maps: MapDef[]; programs: ProgramDef[]; events: EventDef[]; source?: string; unsafe?: boolean }): CompiledScript {
  return {
    file: 'test.bt', source: parts.source ?? '', maps: parts.maps, programs: parts.programs, events: parts.events,
    probeCount: parts.programs.reduce((n, p) => n + p.attach.length, 0), unsafe: parts.unsafe ?? false, params: [],
  };
}

export const printf = (format: string, nargs = 0): EventDef => ({
  kind: 'printf', format, size: 8 + 8 * nargs,
  args: Array.from({ length: nargs }, (_, i) => ({ type: UINT64, offset: 8 + 8 * i })),
});

/**
 * A renderer for these tests only: `%d` takes the next u64; scalar counts print as `@c: N`,
 * u64 → u64 hashes as `@h[k]: v` lines in key order. Enough to check what the runtime does
 * with events and maps, not how bpftrace formats them (that is src/output's job).
 */
export const testRenderer: Renderer<bigint, [bigint | undefined, bigint]> = {
  format(def, rec: EventRecord) {
    const values = def.args.map((a) => rec.view.getBigUint64(rec.offset + a.offset, true));
    let i = 0;
    const text = def.format.replace(/%d/g, () => String(values[i++]));
    return { text, values };
  },
  printValue(def, rec) {
    const value = rec.view.getBigUint64(rec.offset + def.args[0]!.offset, true);
    return { text: `${value}\n`, value };
  },
  map(def, entries: RawMapEntry[]) {
    const typed = entries.map((e): [bigint | undefined, bigint] => {
      const key = def.key.kind === 'void' ? undefined : new DataView(e.key.buffer, e.key.byteOffset).getBigUint64(0, true);
      const v = e.value;
      const value = v instanceof Uint8Array ? new DataView(v.buffer, v.byteOffset).getBigUint64(0, true) : v.fn === 'count' ? v.count : 0n;
      return [key, value];
    }).sort((a, b) => Number((a[0] ?? 0n) - (b[0] ?? 0n)));
    if (typed.length === 0) return { text: '\n', entries: typed };
    const text = typed.map(([k, v]) => `${def.name}${k === undefined ? '' : `[${k}]`}: ${v}\n`).join('');
    return { text, entries: typed };
  },
  time: (format) => `time:${format}`,
};
