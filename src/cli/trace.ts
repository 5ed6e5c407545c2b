// Running a script from the command line: read it, compile it for this kernel, then either show
// what it compiled to (-d) or run it (bpftrace's output on stdout or -o FILE).
import { readFileSync } from 'node:fs';
import { strerror } from '../output/strerror.js';
import { compile } from '../lang/compile.js';
import { MISSING_PROBES_VALUES, parseMissingProbes } from '../lang/sema/analyze.js';
import { LangError } from '../lang/diagnostic.js';
import { parse } from '../lang/parser.js';
import { printAst } from '../lang/print.js';
import { formatIr } from '../lang/ir.js';
import { disassemble } from '../asm/disasm.js';
import type { AttachDef, CompiledScript, ProgramDef } from '../lang/spec.js';
import { liveKernelView } from '../runtime/kernel-view.js';
import { runScript } from '../runtime/script.js';
import { PausedCommand, commandPathOption } from '../runtime/child.js';
import { FdTextOut } from '../runtime/text-out.js';
import { attachDefName } from '../runtime/probes.js';
import { TracePipeReader } from '../runtime/trace-pipe.js';
import type { CliOptions } from './options.js';

/** A named but missing script that looks like a word was most likely meant as a subcommand. */
class UnknownCommand extends Error {}

function readScript(o: CliOptions, guessCommand: boolean): { source: string; file: string } {
  if (o.program !== undefined) return { source: o.program, file: 'stdin' };
  const file = o.file!;
  if (file === '-') return { source: readFileSync(0, 'utf8'), file: 'stdin' };
  try {
    return { source: readFileSync(file, 'utf8'), file };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (guessCommand && code === 'ENOENT' && /^[a-z][a-z-]*$/.test(file)) throw new UnknownCommand(file);
    const errno = (e as NodeJS.ErrnoException).errno;
    // bpftrace's words, strerror() and all.
    throw new Error(`failed to open file '${file}': ${errno !== undefined ? strerror(Math.abs(errno)) : (e as Error).message}`);
  }
}

/** Exists, or at least is not known to be absent (EPERM: it exists, we may not signal it). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export function debugText(source: string, file: string, s: CompiledScript): string {
  let out = `AST\n---\n${printAst(parse(source, { file }))}\n`;
  const program = (p: ProgramDef, what = ''): void => {
    const via = (a: AttachDef) => `${attachDefName(a)}${'fentryBtfId' in a && a.fentryBtfId !== undefined ? ` via ${a.kind === 'kretprobe' ? 'fexit' : 'fentry'} (BTF id ${a.fentryBtfId})` : ''}`;
    out += `${p.name}: ${p.probeName} (${p.progKind}${what}; attach: ${p.attach.map(via).join(', ')})\n`;
    out += `${'-'.repeat(Math.min(78, p.name.length + p.probeName.length + 2))}\n`;
    if (p.ir) out += `IR\n${formatIr(p.ir).trimEnd()}\n\n`;
    out += `instructions\n${disassemble(p.insns).trimEnd()}\n\n`;
    if (p.fallback) program(p.fallback, `; fallback of ${p.name} where the kernel refuses fentry`);
  };
  for (const p of s.programs) program(p);
  const maps = s.maps.map((m) => `  ${m.name} (${m.kernelName}): ${m.kind}, key ${m.keySize} B, value ${m.valueSize} B, ${m.maxEntries} entries`);
  out += `maps\n${maps.join('\n')}\n`;
  return out;
}

/** Runs a script. `as`: the name sonde runs under (main); as bpftrace, a missing file is just that. */
export async function trace(o: CliOptions, as: 'sonde' | 'bpftrace' = 'sonde'): Promise<number> {
  if (o.pid !== undefined && !processExists(o.pid)) throw new Error(`-p ${o.pid}: no such process`);
  if (o.pid !== undefined && o.command !== undefined) throw new Error('-p and -c cannot be used together');
  let script: { source: string; file: string };
  try {
    script = readScript(o, as === 'sonde');
  } catch (e) {
    if (e instanceof UnknownCommand) {
      process.stderr.write(`ERROR: unknown command '${e.message}' (and no script file of that name)\n`);
      return 2;
    }
    throw e;
  }
  // bpftrace 0.17's names and newer ones (BPFTRACE_MAX_STRLEN…); they win over a config block.
  const env = (...names: string[]): string | undefined => names.map((n) => process.env[n]).find((v) => v !== undefined && v !== '');
  const strlen = Number(env('BPFTRACE_MAX_STRLEN', 'BPFTRACE_STRLEN') ?? '');
  const maxMapKeys = Number(env('BPFTRACE_MAX_MAP_KEYS', 'BPFTRACE_MAP_KEYS_MAX') ?? '');
  const stackMode = env('BPFTRACE_STACK_MODE');
  if (stackMode !== undefined && stackMode !== 'bpftrace' && stackMode !== 'perf' && stackMode !== 'raw') {
    throw new Error(`BPFTRACE_STACK_MODE: expected bpftrace, perf or raw, not '${stackMode}'`);
  }
  const missingText = env('BPFTRACE_MISSING_PROBES');
  const missingProbes = missingText === undefined ? undefined : parseMissingProbes(missingText);
  if (missingText !== undefined && missingProbes === undefined) {
    process.stderr.write(`ERROR: BPFTRACE_MISSING_PROBES: ${MISSING_PROBES_VALUES}\n`);
    return 1;
  }
  let compiled: CompiledScript;
  try {
    compiled = compile(script.source, {
      file: script.file, params: o.params, kernel: liveKernelView(),
      ...(strlen > 0 ? { strlen } : {}),
      ...(maxMapKeys > 0 ? { maxMapKeys } : {}),
      ...(stackMode !== undefined ? { stackMode } : {}),
      ...(missingProbes !== undefined ? { missingProbes } : {}),
      ...(o.pid !== undefined ? { pid: o.pid } : {}),
      ...(o.command !== undefined ? commandPathOption(o.command) : {}),
      ...(o.unsafe ? { unsafe: true } : {}),
      ...(o.recorder ? { recorder: true } : {}),
      ...(o.includes.length > 0 ? { includes: o.includes } : {}),
      ...(o.includeDirs.length > 0 ? { includeDirs: o.includeDirs } : {}),
      ...(o.helperChecks > 0 ? { helperChecks: o.helperChecks } : {}),
    });
  } catch (e) {
    if (e instanceof LangError) {
      process.stderr.write(`${e.format()}\n`);
      return 1;
    }
    throw e;
  }
  if (!o.noWarnings) for (const w of compiled.warnings ?? []) process.stderr.write(`${w}\n`);
  if (compiled.programs.length === 0 && compiled.missingProbes) {
    // Every probe was skipped (missing_probes warn/ignore): bpftrace's words and status.
    if (!o.quiet) process.stdout.write('No probes to attach\n');
    return 1;
  }
  if (o.debug > 0) {
    process.stdout.write(debugText(script.source, script.file, compiled));
    return 0;
  }
  const mode = o.buffering ?? 'line';
  // Output nobody reads any more (`sonde … | head`) ends the run as SIGTERM would.
  const gone = (): void => {
    process.emit('SIGTERM', 'SIGTERM');
  };
  const stdout = new FdTextOut(1, mode, false, gone);
  const out = o.output !== undefined ? FdTextOut.toFile(o.output, mode, gone) : stdout;
  const command = o.command !== undefined ? await PausedCommand.start(o.command) : undefined;
  // With -f json each trace_pipe line is an event of its own: {"type": "trace_pipe", "data": "…"}.
  const pipeText = (t: string): string => (o.format !== 'json' ? t
    : t.split('\n').filter((l) => l !== '').map((l) => `{"type": "trace_pipe", "data": ${JSON.stringify(l)}}\n`).join(''));
  const pipe = o.tracePipe ? new TracePipeReader((t) => out.write(pipeText(t))) : undefined;
  try {
    return await runScript(compiled, {
      out, stdout, verbose: o.verbose, quiet: o.quiet, unsafe: o.unsafe, format: o.format, printMapsOnSigusr1: true,
      ...(o.pid !== undefined ? { pid: o.pid } : {}),
      ...(command ? { command } : {}),
      ...(o.recorder?.pages !== undefined ? { recorderPages: o.recorder.pages } : {}),
    });
  } finally {
    pipe?.close();
    stdout.flush();
    if (out !== stdout) out.close();
  }
}
