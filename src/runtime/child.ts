// `-c CMD`: the traced command, started paused so that probes are attached before it runs its
// first instruction. A tiny shell waits for one line on fd 3 and then execs the command in place,
// so the pid sonde learns at spawn time (cpid) is the command's own pid from start to end.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Writable } from 'node:stream';

export class ChildCommandError extends Error {
  override readonly name = 'ChildCommandError';
}

export interface ChildExit {
  /** Exit status, or undefined when a signal ended it. */
  code: number | undefined;
  signal: NodeJS.Signals | undefined;
}

/**
 * Splits a command line into words the way a shell would for simple cases: whitespace separates,
 * single and double quotes group, backslash escapes. No expansion of any kind.
 */
export function splitCommand(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && (cmd[i + 1] === '"' || cmd[i + 1] === '\\')) cur += cmd[++i];
      else cur += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < cmd.length) {
      cur += cmd[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new ChildCommandError(`unterminated ${quote === '"' ? 'double' : 'single'} quote in command: ${cmd}`);
  if (inWord) out.push(cur);
  return out;
}

/** The executable a command word names: a path as given, else searched in PATH (like execvp). */
export function resolveExecutable(word: string, path = process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin'): string {
  const ok = (p: string): boolean => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (word.includes('/')) {
    if (ok(word)) return word;
  } else {
    for (const dir of path.split(delimiter)) {
      const p = join(dir || '.', word);
      if (ok(p)) return p;
    }
  }
  throw new ChildCommandError(`cannot run '${word}': no such executable file${word.includes('/') ? '' : ' in PATH'}`);
}

/**
 * The compiler's `commandPath` for a -c command (`watchpoint:FUNC+argN` probes that file): its
 * executable as `PausedCommand` will run it; nothing when it cannot be found (starting it will
 * then say why).
 */
export function commandPathOption(cmd: string | string[]): { commandPath?: string } {
  try {
    const argv = typeof cmd === 'string' ? splitCommand(cmd) : cmd;
    return argv.length > 0 ? { commandPath: resolveExecutable(argv[0]!) } : {};
  } catch {
    return {};
  }
}

const READ_NR = process.arch === 'x64' ? 0 : 63;
/** poll, ppoll, select, pselect6 (x86_64) / ppoll, pselect6 (arm64). */
const WAIT_NRS = new Set(process.arch === 'x64' ? [7, 271, 23, 270] : [73, 72]);

// Reads one line from fd 3 (sonde's go signal); EOF instead (sonde died first) means never run.
const TRAMPOLINE = 'read _ <&3 || exit 127; exec "$0" "$@" 3<&-';

export class PausedCommand {
  readonly pid: number;
  readonly argv: string[];
  /** Settles when the command has exited. */
  readonly exited: Promise<ChildExit>;
  private readonly proc: ChildProcess;
  private readonly gate: Writable;
  private started = false;
  private done = false;

  private constructor(argv: string[], proc: ChildProcess) {
    this.argv = argv;
    this.proc = proc;
    if (proc.pid === undefined) throw new ChildCommandError(`could not start ${argv[0]}`);
    this.pid = proc.pid;
    this.gate = proc.stdio[3] as Writable;
    this.gate.on('error', () => {}); // the child may be gone before we say go
    this.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        this.done = true;
        resolve({ code: code ?? undefined, signal: signal ?? undefined });
      });
    });
  }

  /**
   * Spawns `cmd` (a command line, or argv words) and resolves once it waits for the go signal.
   * Waiting matters: the shell's own start-up (its dynamic loader opening libc…) must be over
   * before probes are attached, or a `pid == cpid` filter would count it.
   */
  static async start(cmd: string | string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<PausedCommand> {
    const c = PausedCommand.spawn(cmd, opts);
    await c.waiting();
    return c;
  }

  /** Resolves once the trampoline is blocked reading fd 3 (or has already exited). */
  async waiting(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    for (;;) {
      if (exited) return;
      let sys = '';
      try {
        sys = readFileSync(`/proc/${this.pid}/syscall`, 'utf8');
      } catch { /* not there yet, or gone */ }
      const [nr, fd] = sys.split(' ');
      // dash's `read <&3` moves fd 3 onto 0 for the read; other shells read fd 3 itself; busybox
      // sh waits in poll(2) first. The shell does nothing else, so any of these means it is waiting.
      if (Number(nr) === READ_NR && (Number(fd) === 3 || Number(fd) === 0)) return;
      if (WAIT_NRS.has(Number(nr))) return;
      if (Date.now() > deadline) throw new ChildCommandError(`${this.argv[0]}: the command did not get ready within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  /** Spawns `cmd` (a command line, or argv words) paused; its stdio is sonde's. See start(). */
  static spawn(cmd: string | string[], opts: { env?: NodeJS.ProcessEnv } = {}): PausedCommand {
    const argv = typeof cmd === 'string' ? splitCommand(cmd) : cmd;
    if (argv.length === 0) throw new ChildCommandError('empty command');
    const file = resolveExecutable(argv[0]!);
    const proc = spawn('/bin/sh', ['-c', TRAMPOLINE, file, ...argv.slice(1)], {
      stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
      ...(opts.env ? { env: opts.env } : {}),
    });
    // 'error' would otherwise be thrown; exit still settles `exited`.
    proc.on('error', () => {});
    return new PausedCommand(argv, proc);
  }

  get running(): boolean {
    return !this.done;
  }

  /** Lets the command run (once). */
  start(): void {
    if (this.started) return;
    this.started = true;
    // One byte: the shell's `read` takes a line a byte per read(2), and every read after the
    // first would be the command's own as far as `pid == cpid` can tell (bpftrace's child makes one).
    this.gate.end('\n');
  }

  /** Ends the command if it is still running (sonde is exiting first). */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (!this.started) this.gate.destroy(); // EOF: the trampoline exits without running it
    if (!this.done) this.proc.kill(signal);
  }

  /** Stops holding Node's event loop open for the child (sonde may exit before it). */
  unref(): void {
    this.proc.unref();
    (this.gate as unknown as { unref?: () => void }).unref?.();
  }
}
