// sonde's command line: bpftrace's options and behaviour, plus `--info` and `count`.
// Each path loads only what it uses, so `--help` stays instant.
import { BPFTRACE_LEVEL, VERSION, versionLine } from './version.js';
import { parseCli, UsageError } from './options.js';

export const USAGE = `sonde ${VERSION} — DTrace-style dynamic tracing for Linux, in TypeScript (bpftrace's language)

USAGE:
    sonde [options] FILE [ARGS...]       run a script file ($1, $2… are ARGS)
    sonde [options] - [ARGS...]          read the script from stdin
    sonde [options] -e 'PROGRAM' [ARGS...]
    sonde -l [PATTERN]                   list probes
    sonde --info [--json]                what this kernel supports for tracing, and why not
    sonde count [options] PROBE...       count events per probe (sonde count -h)

OPTIONS:
    -e 'PROGRAM'   run this program
    -c 'CMD'       run CMD once the probes are attached (cpid is its pid); stop when it exits
    -p PID         uprobes and USDT probes in this process only (their paths as it sees them:
                   its mount namespace, through /proc/PID/root)
    -o FILE        write the output to FILE
    -f FORMAT      output format: text (default) or json (one JSON object a line)
    -B MODE        output buffering: none, line (default) or full
    -l [PATTERN]   list probes matching PATTERN (-v: with tracepoint arguments, uprobe parameters)
    -d             dry run: print the AST, the IR and the instructions of each probe
    -v             verifier logs, and at exit each probe's run count and in-kernel ns per run
    -q             quiet: no "Attaching N probes..."
    -k             warn when a BPF helper fails (map update/delete, stacks, comm…; not reads)
    -kk            also failed probe reads and lookups of map values that find nothing
    --unsafe       allow unsafe functions (system())
    --include FILE as an #include <FILE> line at the top of the script (repeatable)
    -I DIR         search DIR for #include files before the system directories (repeatable)
    --flight-recorder[=PAGES]
                   keep printf/print/time output in overwritable per-CPU rings (PAGES
                   pages each, default 64) and print the most recent on SIGUSR1 and at exit
    --trace-pipe   copy the kernel's trace_pipe (debugf() output) to the output while running
    --info         what this kernel supports for tracing
    -h, --help     this help
    -V, --version  sonde's version

Run through a link named bpftrace (ln -s "$(command -v sonde)" /usr/local/bin/bpftrace), sonde
is bpftrace: its process is named bpftrace and --version prints bpftrace v${BPFTRACE_LEVEL} (sonde ${VERSION}).

ENVIRONMENT:
    BPFTRACE_STRLEN         [default: 64] bytes of a str() buffer (also BPFTRACE_MAX_STRLEN)
    BPFTRACE_MAX_MAP_KEYS   [default: 4096] entries of each map (also BPFTRACE_MAP_KEYS_MAX)
    BPFTRACE_STACK_MODE     [default: bpftrace] kstack/ustack format: bpftrace, perf or raw
    BPFTRACE_MISSING_PROBES [default: error] probes this system lacks: error, warn (skip them, warn) or ignore
    BPFTRACE_PERF_RB_PAGES  pages per CPU for the event ring buffer (default: 2 MiB in all)
    BPFTRACE_BTF            BTF file to use instead of /sys/kernel/btf/vmlinux

Probes: BEGIN, END, tracepoint:cat:event (wildcards), rawtracepoint:name, kprobe:func,
kretprobe:func, uprobe:binary:func, uretprobe:binary:func, usdt:binary:provider:name,
fentry:func, fexit:func, software:event:N, hardware:event:N, profile:hz:N, interval:ms:N,
watchpoint:addr:len:mode, watchpoint:func+argN:len:mode (with -c or -p).

Examples:
  sonde --info
      what this kernel can trace
  sonde -l 'tracepoint:syscalls:sys_enter_open*'
      list probes
  sonde -e 'tracepoint:syscalls:sys_enter_openat { printf("%s %s\\n", comm, str(args->filename)); }'
      files opened, by process
  sonde -e 'tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }'
      count system calls by process name
  sonde -e 'tracepoint:syscalls:sys_enter_openat /pid == cpid/ { @ = count(); }' -c 'ls /'
      count the opens of one command
  sonde -e 'profile:hz:99 { @[kstack] = count(); }'
      sample kernel stacks on every CPU
  sonde count -d 5 'tracepoint:syscalls:sys_enter_*'
      count events per probe for 5 seconds
`;

/**
 * The command line. `as` is the name sonde was run under (bin/sonde): 'bpftrace' through a link
 * of that name (the drop-in mode), where only bpftrace's command line applies — `bpftrace
 * opensnoop` runs the script file opensnoop, as bpftrace would, not sonde's tool.
 */
export async function main(argv: string[], as: 'sonde' | 'bpftrace' = 'sonde'): Promise<number> {
  // The classic tools (src/tools): `sonde opensnoop …`, and `sonde tools` lists them.
  if (as === 'sonde' && argv[0] !== undefined && /^[a-z][a-z0-9_]*$/.test(argv[0]) && argv[0] !== 'count') {
    const tools = await import('../tools/index.js');
    if (argv[0] === 'tools') return (process.stdout.write(tools.toolsList()), 0);
    const tool = tools.findTool(argv[0]);
    if (tool) return guard(() => tools.runTool(tool, argv.slice(1)));
  }
  if (as === 'sonde' && argv[0] === 'count') {
    return guard(async () => (await import('./count.js')).count(argv.slice(1)));
  }
  let o;
  try {
    o = parseCli(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`ERROR: ${e.message}\n\n${USAGE}`);
      return 1;
    }
    throw e;
  }
  if (o.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (o.version) {
    process.stdout.write(`${versionLine(as)}\n`);
    return 0;
  }
  if (o.info) return guard(async () => (await import('./info.js')).info(o.json));
  if (o.list) return guard(async () => (await import('./list.js')).list(o));
  if (o.program === undefined && o.file === undefined) {
    process.stderr.write(USAGE);
    return 1;
  }
  return guard(async () => (await import('./trace.js')).trace(o, as));
}

async function guard(f: () => Promise<number>): Promise<number> {
  try {
    return await f();
  } catch (e) {
    // bpftrace's prefix: what scripts and tests that watch for bpftrace's failures look for.
    process.stderr.write(`ERROR: ${e instanceof Error ? e.message : String(e)}\n`);
    if (process.env['SONDE_DEBUG'] && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}
