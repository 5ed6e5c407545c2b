// trace: trace a function and print a trace message based on its parameters, with an optional
// filter, as bcc's tools/trace.py. Each probe specifier becomes one block of a sonde script.
import { expandBccSpec, parseBccSpec, parseSignature, rewriteBccExpr, BccProbeError, type BccSpec, type ExpandedProbe } from './bccprobe.js';
import { resolve as resolvePath } from 'node:path';
import {
  chooseMechanism, helpText, hms, intOption, jsonLine, l, num, parseToolArgs, runScript, stdio, text, verboseReport,
  ToolUsageError, type Tool, type ToolIo,
} from './tool.js';

export const TRACE_HELP = helpText(
  'sonde trace [-h] [-p PID] [-L TID] [--uid UID] [-v] [-Z STRING_SIZE] [-S] [-M MAX_EVENTS] [-t] [-u] [-T] [-C] [-n NAME] [-f MSG_FILTER] [-K] [-U] [-a] [-I header] [-A] [-j] probe [probe ...]',
  'Attach to functions and print trace messages.',
  [
    { flags: '-p PID, --pid PID', help: 'id of the process to trace (optional)' },
    { flags: '-L TID, --tid TID', help: 'id of the thread to trace (optional)' },
    { flags: '--uid UID', help: 'id of the user to trace (optional)' },
    { flags: '-v, --verbose', help: 'print the mechanism, the script and in-kernel cost' },
    { flags: '-Z STRING_SIZE, --string-size STRING_SIZE', help: 'maximum size to read from strings' },
    { flags: '-S, --include-self', help: 'do not filter trace\'s own pid from the trace' },
    { flags: '-M MAX_EVENTS, --max-events MAX_EVENTS', help: 'number of events to print before quitting' },
    { flags: '-t, --timestamp', help: 'print timestamp column (offset from trace start)' },
    { flags: '-u, --unix-timestamp', help: 'print UNIX timestamp instead of offset from trace start, requires -t' },
    { flags: '-T, --time', help: 'print time column' },
    { flags: '-C, --print_cpu', help: 'print CPU id' },
    { flags: '-n NAME, --name NAME', help: 'only print process names containing this name' },
    { flags: '-f MSG_FILTER, --msg-filter MSG_FILTER', help: 'only print the msg of event containing this string' },
    { flags: '-K, --kernel-stack', help: 'output kernel stack trace' },
    { flags: '-U, --user-stack', help: 'output user stack trace' },
    { flags: '-a, --address', help: 'print virtual address in stacks' },
    { flags: '-I header, --include header', help: 'additional header files to include in the BPF program as either full path, or relative to current working directory, or relative to default kernel header search path (sonde reads their numeric #defines)' },
    { flags: '-A, --aggregate', help: 'aggregate amount of each trace (needs -M)' },
    { flags: '-j, --json', help: 'one JSON object per event' },
    { flags: 'probe', help: 'probe specifier (see examples)' },
  ],
  `    sonde trace do_sys_open                   # a kernel function (kprobes)
    sonde trace 'r::do_sys_open "%llx", retval'   # its return value
    sonde trace 'c:open (arg2 == 42) "%s %d", arg1, arg2'  # flags 42
    sonde trace 'c:malloc "size = %d", arg1'      # malloc sizes
    sonde trace 'p:c:write (arg1 == 1) "writing %d bytes to STDOUT", arg3'
    sonde trace 'r:c:malloc (retval) "allocated = %x", retval'
    sonde trace 't:block:block_rq_complete "sectors=%d", args->nr_sector'
    sonde trace 't:syscalls:sys_enter_openat "%s", args->filename'
    sonde trace 'u:pthread:pthread_create (arg4 != 0)'   # a USDT probe
    sonde trace 'p:./a.out:add(int a, int b) "%d + %d", a, b'  # signature
    sonde trace -p 181 -M 10 'c:read "fd %d", arg1'  # 10 reads of PID 181
    sonde trace -U -a 'c:malloc'                    # user stacks with addresses
    sonde trace -I fcntl.h 'c:open (arg2 & O_CREAT) "%s", arg1'  # a header's #define
    sonde trace -A -M 100 -U 'c:malloc'             # count the distinct stacks of 100 calls
`,
);

export interface TraceProbe {
  raw: string;
  spec: BccSpec;
  /** The predicate, rewritten, or undefined. */
  filter?: string;
  /** printf format (without the quotes), or '' for the default message. */
  format: string;
  /** printf arguments, rewritten (str(), ksym(), usym() where the format asks). */
  values: string[];
  probes: ExpandedProbe[];
  /** What the FUNC column shows. */
  display: string;
}

/** Top-level commas only (not inside parentheses or quotes). */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = false;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"' && s[i - 1] !== '\\') quote = !quote;
    else if (!quote && c === '(') depth++;
    else if (!quote && c === ')') depth--;
    if (c === ',' && depth === 0 && !quote) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur.trim() !== '') out.push(cur);
  return out.map((x) => x.trim()).filter((x) => x !== '');
}

/** bcc's _parse_probe: specifier [(signature)] [(predicate)] ["format", args…]. */
export function parseTraceProbe(raw: string, o: { pid?: number } = {}): TraceProbe {
  const m = /^([^ \t(]+)(\([^(]*\))?(.*)$/s.exec(raw.trim());
  if (!m) throw new BccProbeError(`error in probe '${raw}': cannot parse it`);
  const [, specText, sigText, restText] = m as unknown as [string, string, string | undefined, string];
  const spec = parseBccSpec(specText);
  if (spec.name.includes('+')) throw new BccProbeError(`error in probe '${raw}': function+offset probes are not supported`);
  const params = sigText ? parseSignature(sigText.slice(1, -1)) : [];
  if (sigText && (spec.type === 'u' || spec.type === 't')) {
    throw new BccProbeError(`error in probe '${raw}': USDT and tracepoint probes can't have a function signature; use arg1, arg2, ... instead`);
  }
  const names = params.map((p) => p.name);
  let rest = restText.trim();
  let filter: string | undefined;
  if (rest.startsWith('(')) {
    let depth = 0;
    let end = -1;
    for (let i = 0; i < rest.length; i++) {
      if (rest[i] === '(') depth++;
      if (rest[i] === ')' && --depth === 0) {
        end = i;
        break;
      }
    }
    if (end < 0) throw new BccProbeError(`error in probe '${raw}': unmatched end of predicate`);
    filter = rewriteBccExpr(rest.slice(0, end + 1), names);
    rest = rest.slice(end + 1).trim();
  }
  let format = '';
  const values: string[] = [];
  if (rest !== '') {
    const fm = /^"((?:[^"\\]|\\.)*)"\s*,?(.*)$/s.exec(rest);
    if (!fm) throw new BccProbeError(`error in probe '${raw}': expected format string in "s`);
    const exprs = splitArgs(fm[2]!);
    const kinds = [...fm[1]!.matchAll(/%%|%[-0-9]*(s|u|d|lu|llu|ld|lld|hu|hd|x|lx|llx|c|K|U|p)/g)].filter((k) => k[0] !== '%%').map((k) => k[1]!);
    if (kinds.length !== exprs.length) throw new BccProbeError(`error in probe '${raw}': the format has ${kinds.length} conversions for ${exprs.length} values`);
    format = fm[1]!.replace(/%([-0-9]*)h([du])/g, '%$1$2').replace(/%([-0-9]*)[KU]/g, '%$1s');
    exprs.forEach((x, i) => {
      const e = rewriteBccExpr(x, names);
      const k = kinds[i]!;
      values.push(k === 's' ? `str(${e})` : k === 'K' ? `ksym(${e})` : k === 'U' ? `usym(${e})` : e);
    });
  }
  const probes = expandBccSpec(spec, raw, { ...(o.pid !== undefined ? { pid: o.pid } : {}) });
  const display = spec.type === 't' ? spec.name : spec.name;
  return { raw, spec, ...(filter !== undefined ? { filter } : {}), format, values, probes, display };
}

export interface TraceOptions {
  probes: TraceProbe[];
  pid?: number;
  tid?: number;
  uid?: number;
  /** Our own pid, left out unless -S (bcc's default). */
  self?: number;
  kstack?: boolean;
  ustack?: boolean;
  /** -a: stacks in perf mode (address and symbol), which the tool prints as bcc does. */
  address?: boolean;
  /** -I: headers, as bcc words them (a path starting with . or / is a file; else <header>). */
  includes?: string[];
}

/** bcc's -I: `./x.h` and `/a/x.h` become `#include "/abs/x.h"`, others `#include <x>`. */
export function includeLine(h: string, cwd = process.cwd()): string {
  return h.startsWith('.') || h.startsWith('/') ? `#include "${resolvePath(cwd, h)}"` : `#include <${h}>`;
}

/**
 * -a: the perf-mode frames (`\t<hex> <sym>`, a user symbol with ` (module)` after it) as bcc's
 * trace prints them with -a: 8 spaces, the address right-aligned in 16 columns, the symbol as
 * the stack prints without -a. The first line (the message) is left alone.
 */
export function addressFrames(msg: string): string {
  const nl = msg.indexOf('\n');
  if (nl < 0) return msg;
  return msg.slice(0, nl) + msg.slice(nl).replace(/^\t([0-9a-f]+) (.*)$/gm, (_m, hex: string, sym: string) =>
    `        ${hex.padStart(16)} ${sym.replace(/ \([^()]*\)$/, '')}`);
}

/** One block per specifier; each event carries the specifier's index, then bcc's columns. */
export function traceScript(o: TraceOptions): string {
  return o.probes.map((p, i) => {
    const f: string[] = [];
    if (o.pid !== undefined) f.push(`pid == ${o.pid}`);
    if (o.tid !== undefined) f.push(`tid == ${o.tid}`);
    if (o.uid !== undefined) f.push(`uid == ${o.uid}`);
    if (o.self !== undefined) f.push(`pid != ${o.self}`);
    if (p.filter !== undefined) f.push(p.filter);
    // The format is bcc's own text between its quotes (its escapes are C's, as here).
    const fmt = `%d %llu %d %d %d %s ${p.format}${o.kstack ? '%s' : ''}${o.ustack ? '%s' : ''}`;
    const mode = o.address ? '(perf)' : '';
    const args = [String(i), 'nsecs', 'pid', 'tid', 'cpu', 'comm', ...p.values, ...(o.kstack ? [`kstack${mode}`] : []), ...(o.ustack ? [`ustack${mode}`] : [])];
    return `${i === 0 ? (o.includes ?? []).map((h) => `${includeLine(h)}\n`).join('') : ''}${p.probes.map((x) => x.attach).join(',\n')}${f.length ? ` /${f.join(' && ')}/` : ''} {
  printf("${fmt}\\n", ${args.join(', ')});
}`;
  }).join('\n');
}

export async function traceTool_(argv: string[], io: ToolIo = stdio): Promise<number> {
  const { values: v, positionals } = parseToolArgs(argv, {
    pid: { type: 'string', short: 'p' }, tid: { type: 'string', short: 'L' }, uid: { type: 'string' },
    verbose: { type: 'boolean', short: 'v' }, 'string-size': { type: 'string', short: 'Z' }, 'include-self': { type: 'boolean', short: 'S' },
    'max-events': { type: 'string', short: 'M' }, timestamp: { type: 'boolean', short: 't' }, 'unix-timestamp': { type: 'boolean', short: 'u' },
    time: { type: 'boolean', short: 'T' }, print_cpu: { type: 'boolean', short: 'C' }, name: { type: 'string', short: 'n' },
    'msg-filter': { type: 'string', short: 'f' }, 'kernel-stack': { type: 'boolean', short: 'K' }, 'user-stack': { type: 'boolean', short: 'U' },
    address: { type: 'boolean', short: 'a' }, include: { type: 'string', short: 'I', multiple: true }, aggregate: { type: 'boolean', short: 'A' },
    json: { type: 'boolean', short: 'j' },
  });
  if (v.help) {
    io.out(TRACE_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new ToolUsageError('the following arguments are required: probe');
  const pid = intOption('-p', v.pid as string | undefined, 1);
  const tid = intOption('-L', v.tid as string | undefined, 1);
  const uid = intOption('--uid', v.uid as string | undefined, 0);
  const strlen = intOption('-Z', v['string-size'] as string | undefined, 1);
  const maxEvents = intOption('-M', v['max-events'] as string | undefined, 1);
  if (v.aggregate && maxEvents === undefined) throw new ToolUsageError('-M/--max-events should be specified with -A/--aggregate');
  if (v.aggregate && v.json) throw new ToolUsageError('-A and -j cannot be used together');
  const includes = (v.include as string[] | undefined) ?? [];
  const probes = positionals.map((p) => parseTraceProbe(p, pid !== undefined ? { pid } : {}));
  const o: TraceOptions = {
    probes, ...(pid !== undefined ? { pid } : {}), ...(tid !== undefined ? { tid } : {}), ...(uid !== undefined ? { uid } : {}),
    ...(v['include-self'] ? {} : { self: process.pid }), ...(v['kernel-stack'] ? { kstack: true } : {}), ...(v['user-stack'] ? { ustack: true } : {}),
    ...(v.address ? { address: true } : {}), ...(includes.length ? { includes } : {}),
  };
  const kinds = new Set(probes.map((p) => (p.spec.type === 't' ? 'tracepoint' : p.spec.type === 'u' ? 'usdt' : p.spec.library ? 'uprobe' : 'kprobe')));
  const chosen = chooseMechanism([{ kind: [...kinds][0] as 'tracepoint', note: `${[...kinds].join(', ')} probes, as the specifiers ask`, build: traceScript }]);
  const script = chosen.build(o);
  if (v.verbose) verboseReport(io, 'trace', chosen, script);
  const json = v.json === true;
  const trivial = probes.every((p) => p.format === '');
  const timeCol = v.timestamp || v.time;
  const unix = v['unix-timestamp'] === true;
  if (!json) io.out(`${timeCol ? l('TIME', unix ? 17 : 8) + ' ' : ''}${v.print_cpu ? `${l('CPU', 3)} ` : ''}${l('PID', 7)} ${l('TID', 7)} ${l('COMM', 15)} ${l('FUNC', 16)} ${trivial ? '' : '-'}\n`);
  let first: bigint | undefined;
  let count = 0;
  let stop: (() => Promise<number>) | undefined;
  const name = v.name as string | undefined;
  const msgFilter = v['msg-filter'] as string | undefined;
  /** -A: each distinct event text and how many times it came, in order of first arrival. */
  const aggregated = new Map<string, number>();
  const startWall = Date.now();
  const startNs = process.hrtime.bigint();
  const code = await runScript(script, { verbose: v.verbose === true, io, ...(strlen ? { strlen: strlen + 1 } : {}), ...(pid !== undefined ? { pid } : {}), banner: json ? '' : `Tracing ${probes.reduce((a, p) => a + p.probes.length, 0)} probes... Hit Ctrl-C to end.\n` }, {
    onStart: (t) => {
      stop = () => t.stop();
    },
    onPrintf: (vals, line) => {
      if (maxEvents !== undefined && count >= maxEvents) return;
      const [idx, ns, p, t, cpu, comm] = vals;
      const probe = probes[num(idx)]!;
      const c = text(comm);
      if (name !== undefined && !c.includes(name)) return;
      const head = `${text(idx)} ${text(ns)} ${text(p)} ${text(t)} ${text(cpu)} ${c} `;
      const raw = (line ?? '').slice(head.length).replace(/\n$/, '');
      const msg = o.address ? addressFrames(raw) : raw;
      if (msgFilter !== undefined && !msg.includes(msgFilter)) return;
      count++;
      const nsv = typeof ns === 'bigint' ? ns : 0n;
      first ??= nsv;
      if (json) {
        io.out(jsonLine({ time: Number(nsv - first) / 1e9, cpu: num(cpu), pid: num(p), tid: num(t), comm: c, func: probe.display, msg }));
      } else {
        let time = '';
        if (v.time && !v.timestamp) time = `${l(hms(), 8)} `;
        else if (v.timestamp) {
          time = unix
            ? `${l(((startWall + Number(process.hrtime.bigint() - startNs) / 1e6) / 1000).toFixed(6).slice(0, 17), 17)} `
            : `${l((Number(nsv - first) / 1e9).toFixed(6).slice(0, 8), 8)} `;
        }
        // bcc's eventstr: the line and the stacks; a blank line after stacks when printed.
        const eventstr = `${time}${v.print_cpu ? `${l(num(cpu), 3)} ` : ''}${l(num(p), 7)} ${l(num(t), 7)} ${l(c, 15)} ${l(probe.display, 16)} ${msg}${msg.endsWith('\n') ? '' : '\n'}`;
        if (v.aggregate) aggregated.set(eventstr, (aggregated.get(eventstr) ?? 0) + 1);
        else io.out(eventstr + (o.kstack || o.ustack ? '\n' : ''));
      }
      if (maxEvents !== undefined && count >= maxEvents) void stop?.();
    },
  });
  // -A: most frequent first (ties in order of first arrival), as bcc prints them at -M.
  for (const [k, n] of [...aggregated].sort((a, b) => b[1] - a[1])) io.out(`${k}-->COUNT ${n}\n\n`);
  return code;
}

export const traceTool: Tool = { name: 'trace', summary: 'a formatted line per call of functions, tracepoints, USDT', run: traceTool_ };
