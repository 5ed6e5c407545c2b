// Small hand-assembled programs the kernel-layer tests attach (the compiler is not involved here).
import { Mov, Rsh, JNe, JEq, St, Add, LdMapFd, Call, Stx, Exit, AtomicAdd } from '../../src/asm/builders.js';
import { Label, R0, R1, R2, R3, R4, R6, R10, type AsmItem } from '../../src/asm/insn.js';
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
