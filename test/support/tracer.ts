// A tracer (bin/sonde, or the drop-in `bpftrace` link) run in the background: told when its
// probes are attached (bpftrace's __BPFTRACE_NOTIFY_PROBES_ATTACHED line on stderr), its output
// gathered until it exits.
import { spawn } from 'node:child_process';

export interface Tracer {
  readonly pid: number;
  /** Resolves once the probes are attached; rejects if the tracer exits first. */
  readonly attached: Promise<void>;
  /** Resolves when it exits, with everything it printed (the attach notice taken out of err). */
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>;
  /** What it has printed on stdout so far. */
  out(): string;
  kill(signal?: NodeJS.Signals): void;
}

const NOTIFY = '__BPFTRACE_NOTIFY_PROBES_ATTACHED\n';

export function startTracer(cmd: string, args: string[]): Tracer {
  const p = spawn(cmd, args, { env: { ...process.env, __BPFTRACE_NOTIFY_PROBES_ATTACHED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  p.stderr.setEncoding('utf8');
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) => {
    p.on('close', (code, signal) => resolve({ code, signal, out, err: err.replace(NOTIFY, '') }));
  });
  const attached = new Promise<void>((resolve, reject) => {
    p.stderr.on('data', (d: string) => {
      err += d;
      if (err.includes(NOTIFY)) resolve();
    });
    void done.then((r) => reject(new Error(`${cmd} exited (${r.code ?? r.signal}) before attaching:\n${r.err}`)));
  });
  attached.catch(() => {}); // a test that never awaits it still sees the failure through done
  if (p.pid === undefined) throw new Error(`could not start ${cmd}`);
  return {
    pid: p.pid,
    attached,
    done,
    out: () => out,
    kill: (signal = 'SIGTERM') => void p.kill(signal),
  };
}
