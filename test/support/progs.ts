// Small hand-assembled programs the kernel-layer tests attach (the compiler is not involved here).
import { Mov, Rsh, JNe, JEq, JSGe, St, Add, LdMapFd, LdImm64, Call, Stx, Exit, AtomicAdd } from '../../src/asm/builders.js';
import { Label, R0, R1, R2, R3, R4, R5, R6, R7, R10, type AsmItem } from '../../src/asm/insn.js';
import { Helper } from '../../src/asm/helpers.js';
import { assemble } from '../../src/asm/encode.js';
import type { BpfMap } from '../../src/bpf/map.js';
import { Program, type ProgKind } from '../../src/bpf/program.js';

/**
 * Counts into slot 0 of a u32→u64 array map, only for the process `pid` (tgid) when given.
 */
export function countProgram(kind: ProgKind, map: BpfMap, pid?: number, name = 'count'): Program {
  const items: AsmItem[] = [];
  if (pid !== undefined) {
    items.push(Call.helper(Helper.get_current_pid_tgid), Rsh.imm(R0, 32), JNe.imm(R0, pid, 'out'));
  }
  items.push(
    St(4, R10, -4, 0),
    Mov.reg(R2, R10), Add.imm(R2, -4),
    LdMapFd(R1, map.name),
    Call.helper(Helper.map_lookup_elem),
    JEq.imm(R0, 0, 'out'),
    Mov.imm(R1, 1),
    AtomicAdd(8, R0, 0, R1),
    Label('out'), Mov.imm(R0, 0), Exit(),
  );
  return load(kind, name, items, [map]);
}

/**
 * Emits `n` records of `size` bytes (u64 sequence number first) to a ring buffer per run;
 * the sequence counter lives in slot 0 of `seq` (array u32→u64).
 */
export function ringbufProducer(rb: BpfMap, seq: BpfMap, size: number, kind: ProgKind = 'raw_tracepoint'): Program {
  const items: AsmItem[] = [
    St(4, R10, -4, 0),
    Mov.reg(R2, R10), Add.imm(R2, -4),
    LdMapFd(R1, seq.name),
    Call.helper(Helper.map_lookup_elem),
    JEq.imm(R0, 0, 'out'),
    Mov.reg(R6, R0),
    Mov.imm(R1, 1),
    AtomicAdd(8, R6, 0, R1, { fetch: true }),
    Stx(8, R10, -size, R1),
  ];
  for (let off = 8; off < size; off += 8) items.push(St(8, R10, -size + off, off));
  items.push(
    LdMapFd(R1, rb.name), Mov.reg(R2, R10), Add.imm(R2, -size), Mov.imm(R3, size), Mov.imm(R4, 0),
    Call.helper(Helper.ringbuf_output),
    Label('out'), Mov.imm(R0, 0), Exit(),
  );
  return load(kind, 'rb_producer', items, [rb, seq]);
}

export function load(kind: ProgKind, name: string, items: AsmItem[], maps: BpfMap[]): Program {
  const byName = new Map(maps.map((m) => [m.name, m.fd]));
  const a = assemble(items, { mapFd: (n) => byName.get(n) });
  return Program.load({ name, kind, bytes: a.bytes, spans: a.spans });
}

const BPF_F_CURRENT_CPU = 0xffffffff;
const round8 = (n: number) => (n + 7) & ~7;

/** Runs `body` with R6 = the state map's value (slot 0) and R7 = ctx. */
export function withSeq(stateMap: BpfMap, body: AsmItem[]): AsmItem[] {
  return [
    Mov.reg(R7, R1), // keep ctx: perf_event_output needs it
    St(4, R10, -4, 0),
    Mov.reg(R2, R10), Add.imm(R2, -4),
    LdMapFd(R1, stateMap.name),
    Call.helper(Helper.map_lookup_elem),
    JEq.imm(R0, 0, 'out'),
    Mov.reg(R6, R0),
    ...body,
    Label('out'), Mov.imm(R0, 0), Exit(),
  ];
}

/**
 * One record per run through bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU, fp-…, size):
 * [seq u64][cpu u32][0 u32] then u64 words equal to their own offset. Failed outputs count in the
 * state map's drops word, the last helper result in the word after it.
 */
export function perfProducer(kind: ProgKind, pe: BpfMap, st: BpfMap, size: number): Program {
  const slot = round8(size);
  const body: AsmItem[] = [
    Mov.imm(R1, 1),
    AtomicAdd(8, R6, 0, R1, { fetch: true }),
    Stx(8, R10, -slot, R1),
    Call.helper(Helper.get_smp_processor_id),
    Stx(4, R10, -slot + 8, R0),
    St(4, R10, -slot + 12, 0),
  ];
  for (let off = 16; off < slot; off += 8) body.push(St(8, R10, -slot + off, off));
  body.push(
    Mov.reg(R1, R7),
    LdMapFd(R2, pe.name),
    LdImm64(R3, BPF_F_CURRENT_CPU), // a 32-bit mov would sign-extend into the ctx-length bits
    Mov.reg(R4, R10), Add.imm(R4, -slot),
    Mov.imm(R5, size),
    Call.helper(Helper.perf_event_output),
    Stx(8, R6, 16, R0),
    JSGe.imm(R0, 0, 'out'),
    Mov.imm(R1, 1),
    AtomicAdd(8, R6, 8, R1),
  );
  return load(kind, 'pe_producer', withSeq(st, body), [pe, st]);
}
