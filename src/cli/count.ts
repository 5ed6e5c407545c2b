// `sonde count PROBE...`: counts how often each probe fires — the kernel interface at work without
// the language (an in-kernel per-CPU counter per probe, read at the end).
import { parseArgs } from 'node:util';
import { BpfMap } from '../bpf/map.js';
import { Program } from '../bpf/program.js';
import { assemble } from '../asm/encode.js';
import { Mov, Rsh, JNe, St, Add, LdMapFd, Call, Exit, JEq, Ldx, Stx } from '../asm/builders.js';
import { Label, R0, R1, R2, R10, type AsmItem } from '../asm/insn.js';
import { Helper } from '../asm/helpers.js';
import { Session } from '../runtime/session.js';
import { expandProbe, progKindFor, attachProbe, loadTargetFor, probeName, type ProbeTarget } from '../runtime/probes.js';
import { runOnce } from '../attach/once.js';
import { enableStats, close } from '../sys/index.js';

export const COUNT_USAGE = `usage: sonde count [-d SECONDS] [-p PID] [-v] PROBE...

Counts events for each probe until Ctrl-C (or for -d seconds), then prints the counts.

  -d SECONDS   stop after this many seconds
  -p PID       count only events of this process
  -v           print each attached probe and its in-kernel cost

Examples:
  sonde count 'tracepoint:syscalls:sys_enter_open*'     # openat, open, open_by_handle_at…
  sonde count -d 5 'tracepoint:sched:sched_switch'
  sonde count -p 1234 uprobe:libc:malloc uprobe:libc:free
  sonde count -d 1 profile:hz:99
`;

export async function count(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { d: { type: 'string' }, p: { type: 'string' }, v: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(COUNT_USAGE);
    return 0;
  }
  if (positionals.length === 0) {
    process.stderr.write(COUNT_USAGE);
    return 2;
  }
  const pid = values.p !== undefined ? Number(values.p) : undefined;
  if (pid !== undefined && !(pid > 0)) throw new Error(`-p: not a process id: ${values.p}`);
  const targets: ProbeTarget[] = positionals.flatMap((p) => expandProbe(p, pid));
  const t0 = performance.now();
  const session = new Session();
  // Run-time statistics cost a little per event: on only while we run, and only when asked for.
  const statsFd = values.v ? enableStats() : -1;
  try {
    const counts = session.map(BpfMap.create({ name: 'counts', kind: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: Math.max(targets.length, 1) }));
    const progs: Program[] = [];
    for (const [i, t] of targets.entries()) {
      const fentry = loadTargetFor(t);
      const a = assemble(counterProgram(i, pid), { mapFd: () => counts.fd });
      const prog = session.program(Program.load({
        name: `count_${i}`, kind: progKindFor(t), bytes: a.bytes, spans: a.spans,
        ...(fentry ? { expectedAttachType: fentry.expectedAttachType, attachBtfId: fentry.btfId, attachBtfObjFd: fentry.btfObjFd } : {}),
      }));
      progs.push(prog);
      if (t.kind === 'begin') runOnce(prog);
      else session.link(attachProbe(prog.fd, t, { ...(pid !== undefined ? { pid } : {}), ...(fentry ? { fentry } : {}) }));
    }
    process.stderr.write(`Attaching ${targets.length} probe${targets.length === 1 ? '' : 's'}...\n`);
    if (process.env['SONDE_TIMING']) process.stderr.write(`attached in ${(performance.now() - t0).toFixed(0)} ms\n`);
    if (values.d !== undefined) setTimeout(() => session.stop('duration'), Number(values.d) * 1000);
    await session.stopped;
    targets.forEach((t, i) => { if (t.kind === 'end') runOnce(progs[i]!); });
    const rows: [string, bigint][] = [];
    const key = new Uint8Array(4);
    const dv = new DataView(key.buffer);
    for (const [i, t] of targets.entries()) {
      dv.setUint32(0, i, true);
      const v = counts.lookupView(key);
      let total = 0n;
      if (v) for (const slot of counts.perCpu(v)) total += new DataView(slot.buffer, slot.byteOffset, 8).getBigUint64(0, true);
      if (total > 0n) rows.push([probeName(t), total]);
    }
    rows.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[0].localeCompare(b[0])));
    const w = Math.max(5, ...rows.map((r) => r[0].length));
    process.stdout.write(`${'PROBE'.padEnd(w)}  ${'COUNT'.padStart(10)}\n`);
    for (const [name, n] of rows) process.stdout.write(`${name.padEnd(w)}  ${String(n).padStart(10)}\n`);
    if (values.v) {
      for (const p of progs) {
        const inf = p.info();
        process.stderr.write(`${p.name}: ${inf.runCnt} runs${inf.runCnt ? `, ${Number(inf.runTimeNs / inf.runCnt)} ns/run` : ''}\n`);
      }
    }
    return 0;
  } finally {
    const t1 = performance.now();
    await session.close();
    close(statsFd);
    if (process.env['SONDE_TIMING']) process.stderr.write(`detached in ${(performance.now() - t1).toFixed(0)} ms\n`);
  }
}

/** counts[index] += 1 on this CPU (per-CPU slot: no atomics), optionally only for process `pid`. */
function counterProgram(index: number, pid?: number): AsmItem[] {
  const items: AsmItem[] = [];
  if (pid !== undefined) items.push(Call.helper(Helper.get_current_pid_tgid), Rsh.imm(R0, 32), JNe.imm(R0, pid, 'out'));
  items.push(
    St(4, R10, -4, index), Mov.reg(R2, R10), Add.imm(R2, -4), LdMapFd(R1, 'counts'),
    Call.helper(Helper.map_lookup_elem), JEq.imm(R0, 0, 'out'),
    Ldx(8, R1, R0, 0), Add.imm(R1, 1), Stx(8, R0, 0, R1),
    Label('out'), Mov.imm(R0, 0), Exit(),
  );
  return items;
}
