// Known workloads: a child that waits on stdin until the tracer is attached, then does its work.
import { spawn } from 'node:child_process';

export interface PausedChild {
  pid: number;
  /** Lets the child run; resolves with its exit code. */
  go(): Promise<number>;
}

export function spawnPaused(cmd: string, args: string[]): PausedChild {
  const child = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'inherit'] });
  const done = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, sig) => resolve(code ?? (sig ? 128 : 1)));
  });
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  return {
    pid: child.pid,
    go: () => {
      child.stdin!.end('go\n');
      return done;
    },
  };
}
