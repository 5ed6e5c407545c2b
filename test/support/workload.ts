// Known workloads: a child that waits on stdin until the tracer is attached, then does its work.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface PausedChild {
  pid: number;
  /** Lets the child run; resolves with its exit code. */
  go(): Promise<number>;
}

const READ_NR = process.arch === 'x64' ? 0 : 63;

/**
 * Starts `cmd` and resolves once it is blocked in read(2) on its stdin — past the dynamic
 * loader's own opens and mmaps — so that counts taken from then on are exactly its work.
 */
export async function spawnPaused(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<PausedChild> {
  const child = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'inherit'], ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}) });
  const done = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, sig) => resolve(code ?? (sig ? 128 : 1)));
  });
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  const pid = child.pid;
  const deadline = Date.now() + 10_000;
  for (;;) {
    let sys = '';
    try {
      sys = readFileSync(`/proc/${pid}/syscall`, 'utf8');
    } catch { /* not there yet, or already gone */ }
    const [nr, fd] = sys.split(' ');
    if (Number(nr) === READ_NR && Number(fd) === 0) break;
    if (Date.now() > deadline) throw new Error(`${cmd} did not block reading stdin within 10 s (syscall: ${sys.trim()})`);
    await new Promise((r) => setTimeout(r, 1));
  }
  return {
    pid,
    go: () => {
      child.stdin!.end('go\n');
      return done;
    },
  };
}
