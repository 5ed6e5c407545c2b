// The scripting API: bpftrace scripts from TypeScript.
//
//   const t = await trace('tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }');
//   setTimeout(() => t.stop(), 1000);
//   for await (const e of t) if (e.type === 'map') console.log(e.name, e.entries);
//
// compile() is pure data in, pure data out (the live kernel is only asked what exists);
// trace() runs a script on sonde's runtime and hands over its events as typed objects.
import { compile as compileScript, type CompileOptions as LangCompileOptions } from './lang/compile.js';
import type { KernelView } from './lang/kernel-view.js';
import type { CompiledScript } from './lang/spec.js';
import { liveKernelView } from './runtime/kernel-view.js';
import { ScriptRun, type ScriptEvent, type StopReason } from './runtime/script.js';
import type { MapEntryValue } from './runtime/render.js';
import { PausedCommand, commandPathOption } from './runtime/child.js';
import { FdTextOut, type TextOut } from './runtime/text-out.js';
import type { Value } from './output/index.js';

export type { CompiledScript } from './lang/spec.js';
export type { MapEntryValue } from './runtime/render.js';
export type { StopReason } from './runtime/script.js';
export type { Value, MergedAgg } from './output/index.js';
export { LangError } from './lang/diagnostic.js';
export { ScriptError } from './runtime/script-error.js';

export interface CompileOptions extends Partial<Omit<LangCompileOptions, 'kernel'>> {
  /** What the compiler may know of the kernel; default: this machine's (tracefs, BTF, CPUs). */
  kernel?: KernelView;
}

/** Compiles a script for this kernel (or the given view). Throws LangError with file:line:col. */
export function compile(source: string, opts: CompileOptions = {}): CompiledScript {
  const { kernel, ...rest } = opts;
  return compileScript(source, { ...rest, kernel: kernel ?? liveKernelView() });
}

/** An event of a running script; `text` is what bpftrace would print for it. */
export type TraceEvent = ScriptEvent<Value, MapEntryValue>;

export interface TraceOptions extends Omit<CompileOptions, 'kernel'> {
  /** Run this command once attached (`cpid` is its pid); the trace ends when it exits. */
  command?: string | string[];
  /** Also write bpftrace's text output here: a file descriptor (1 = stdout) or a TextOut. */
  output?: number | TextOut;
  /** Verifier logs and per-probe run statistics on stderr. */
  verbose?: boolean;
}

export interface Trace extends AsyncIterable<TraceEvent> {
  /** The -c command's pid, when there is one. */
  readonly cpid: number | undefined;
  /** The script as compiled. */
  readonly script: CompiledScript;
  /**
   * The user maps now, by name. After the end: as they were printed at exit. Aggregations are
   * merged across CPUs (`{ fn: 'count', count: 5n }`…); other values decoded (bigint, string, arrays).
   */
  maps(): Record<string, MapEntryValue[]>;
  /** Ends the trace as Ctrl-C would (END runs, maps are read); resolves with the exit status. */
  stop(): Promise<number>;
  /** Settles when the trace has ended and everything is detached: 0, or 1 after an error. */
  readonly done: Promise<number>;
  /** Why it ended, once it has. */
  readonly reason: StopReason | undefined;
}

/**
 * Starts a script (source text or a compile() result) and resolves once its probes are attached.
 * Iterate the handle for its events; iteration ends after the exit-time map events.
 */
export async function trace(script: string | CompiledScript, opts: TraceOptions = {}): Promise<Trace> {
  const { command: cmd, output, verbose, ...compileOpts } = opts;
  const compiled = typeof script === 'string' ? compile(script, { ...(cmd !== undefined ? commandPathOption(cmd) : {}), ...compileOpts }) : script;
  const queue: TraceEvent[] = [];
  const waiters: ((r: IteratorResult<TraceEvent>) => void)[] = [];
  let finished = false;
  const finalMaps: Record<string, MapEntryValue[]> = {};
  let reason: StopReason | undefined;
  const push = (e: TraceEvent): void => {
    if (e.type === 'map' && e.when === 'exit') finalMaps[e.name] = e.entries;
    if (e.type === 'exit') reason ??= e.reason;
    const w = waiters.shift();
    if (w) w({ value: e, done: false });
    else queue.push(e);
  };
  const end = (): void => {
    finished = true;
    for (const w of waiters.splice(0)) w({ value: undefined, done: true });
  };
  const command = cmd !== undefined ? await PausedCommand.start(cmd) : undefined;
  const out = typeof output === 'number' ? new FdTextOut(output, 'line') : output;
  let run: ScriptRun<Value, MapEntryValue>;
  try {
    run = await ScriptRun.start(compiled, {
      onEvent: push,
      ...(out ? { out } : { silent: true }),
      notifyAttached: false,
      ...(verbose ? { verbose: true } : {}),
      ...(opts.unsafe ? { unsafe: true } : {}),
      ...(opts.pid !== undefined ? { pid: opts.pid } : {}),
      ...(command ? { command } : {}),
    });
  } catch (e) {
    command?.kill('SIGKILL');
    throw e;
  }
  let ended = false;
  const done = run.done.then((code) => {
    ended = true;
    out?.flush();
    end();
    return code;
  });
  const stop = (): Promise<number> => {
    run.stop('stop');
    return done;
  };
  return {
    cpid: command?.pid,
    script: compiled,
    get reason() {
      return reason ?? run.stopReason;
    },
    done,
    maps() {
      if (ended) return { ...finalMaps };
      const snap: Record<string, MapEntryValue[]> = {};
      for (const m of run.snapshot()) snap[m.def.name] = m.entries;
      return snap;
    },
    stop,
    [Symbol.asyncIterator](): AsyncIterator<TraceEvent> {
      return {
        next: () => {
          const e = queue.shift();
          if (e) return Promise.resolve({ value: e, done: false });
          if (finished) return Promise.resolve({ value: undefined, done: true });
          return new Promise((r) => waiters.push(r));
        },
        return: async () => {
          // Leaving a for-await loop early ends the trace: nothing is left attached.
          if (!ended) await stop();
          return { value: undefined, done: true };
        },
      };
    },
  };
}
