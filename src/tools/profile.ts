// profile: sample stack traces at a timed interval, as bcc's tools/profile.py.
import {
  chooseMechanism, helpText, intOption, parseToolArgs, stdio, verboseReport, ToolUsageError, type Tool, type ToolIo,
} from './tool.js';
import { runStackTool } from './stat.js';

export const PROFILE_HELP = helpText(
  'sonde profile [-h] [-p PID | -L TID] [-U | -K] [-F FREQUENCY | -c COUNT] [-d] [-a] [-I] [-f] [-C CPU] [-j] [-v] [duration]',
  'Profile CPU stack traces at a timed interval',
  [
    { flags: '-p PID, --pid PID', help: 'profile process with this PID only' },
    { flags: '-L TID, --tid TID', help: 'profile thread with this TID only' },
    { flags: '-U, --user-stacks-only', help: 'show stacks from user space only (no kernel space stacks)' },
    { flags: '-K, --kernel-stacks-only', help: 'show stacks from kernel space only (no user space stacks)' },
    { flags: '-F FREQUENCY, --frequency FREQUENCY', help: 'sample frequency, Hertz (default 49)' },
    { flags: '-c COUNT, --count COUNT', help: 'sample period, number of events (cpu-clock: nanoseconds of CPU time)' },
    { flags: '-d, --delimited', help: 'insert delimiter between kernel/user stacks' },
    { flags: '-a, --annotations', help: 'add _[k] annotations to kernel frames' },
    { flags: '-I, --include-idle', help: 'include CPU idle stacks' },
    { flags: '-f, --folded', help: 'output folded format, one line per stack (for flame graphs)' },
    { flags: '-C CPU, --cpu CPU', help: 'cpu number to run profile on' },
    { flags: '-j, --json', help: 'one JSON object per stack' },
    { flags: '-v, --verbose', help: 'print the mechanism, the script and in-kernel cost' },
    { flags: 'duration', help: 'duration of trace, in seconds' },
  ],
  `    sonde profile             # profile stack traces at 49 Hertz until Ctrl-C
    sonde profile -F 99       # profile stack traces at 99 Hertz
    sonde profile -c 1000000  # profile stack traces every 1 in a million events
    sonde profile 5           # profile at 49 Hertz for 5 seconds only
    sonde profile -f 5        # output in folded format for flame graphs
    sonde profile -p 185      # only profile process with PID 185
    sonde profile -L 185      # only profile thread with TID 185
    sonde profile -U          # only show user space stacks (no kernel)
    sonde profile -K          # only show kernel space stacks (no user)
    sonde profile -C 0        # only profile CPU 0
`,
);

export interface ProfileOptions {
  hz: number;
  /** -c: a sample every `period` cpu-clock events (nanoseconds) instead of `hz` a second. */
  period?: number;
  pid?: number;
  tid?: number;
  cpu?: number;
  idle?: boolean;
  kernel: boolean;
  user: boolean;
}

/**
 * One perf cpu-clock event per CPU at `hz` (profile:hz), or with -c every `period` events
 * (software:cpu-clock:N, a sample period); the sample counts by stacks, comm and process.
 */
export function profileScript(o: ProfileOptions): string {
  const f: string[] = [];
  if (!o.idle) f.push('pid != 0');
  if (o.pid !== undefined) f.push(`pid == ${o.pid}`);
  if (o.tid !== undefined) f.push(`tid == ${o.tid}`);
  if (o.cpu !== undefined) f.push(`cpu == ${o.cpu}`);
  const key = [...(o.kernel ? ['kstack'] : []), ...(o.user ? ['ustack'] : []), 'comm', 'pid'].join(', ');
  return `${o.period !== undefined ? `software:cpu-clock:${o.period}` : `profile:hz:${o.hz}`}${f.length ? ` /${f.join(' && ')}/` : ''} { @[${key}] = count(); }`;
}

export async function profile(argv: string[], io: ToolIo = stdio): Promise<number> {
  const { values: v, positionals } = parseToolArgs(argv, {
    pid: { type: 'string', short: 'p' }, tid: { type: 'string', short: 'L' }, 'user-stacks-only': { type: 'boolean', short: 'U' },
    'kernel-stacks-only': { type: 'boolean', short: 'K' }, frequency: { type: 'string', short: 'F' }, count: { type: 'string', short: 'c' }, delimited: { type: 'boolean', short: 'd' },
    annotations: { type: 'boolean', short: 'a' }, 'include-idle': { type: 'boolean', short: 'I' }, folded: { type: 'boolean', short: 'f' },
    cpu: { type: 'string', short: 'C' }, json: { type: 'boolean', short: 'j' }, verbose: { type: 'boolean', short: 'v' },
  });
  if (v.help) {
    io.out(PROFILE_HELP);
    return 0;
  }
  if (v.pid !== undefined && v.tid !== undefined) throw new ToolUsageError('-p and -L cannot be used together');
  if (v['user-stacks-only'] && v['kernel-stacks-only']) throw new ToolUsageError('-U and -K cannot be used together');
  if (v.frequency !== undefined && v.count !== undefined) throw new ToolUsageError('argument -c/--count: not allowed with argument -F/--frequency');
  if (positionals.length > 1) throw new ToolUsageError(`unrecognized arguments: ${positionals.slice(1).join(' ')}`);
  const duration = intOption('duration', positionals[0], 1);
  const pid = intOption('-p', v.pid as string | undefined, 1);
  const tid = intOption('-L', v.tid as string | undefined, 1);
  const period = intOption('-c', v.count as string | undefined, 1);
  const cpu = intOption('-C', v.cpu as string | undefined, 0);
  const o: ProfileOptions = {
    hz: intOption('-F', v.frequency as string | undefined, 1) ?? 49,
    ...(period !== undefined ? { period } : {}),
    kernel: !v['user-stacks-only'], user: !v['kernel-stacks-only'],
    ...(pid !== undefined ? { pid } : {}), ...(tid !== undefined ? { tid } : {}), ...(cpu !== undefined ? { cpu } : {}),
    ...(v['include-idle'] ? { idle: true } : {}),
  };
  const chosen = chooseMechanism([
    { kind: 'profile', note: 'perf software event cpu-clock sampled at the frequency (or every -c COUNT events) on every CPU (as bcc); -C filters on the CPU in the program', build: profileScript },
  ]);
  const script = chosen.build(o);
  if (v.verbose) verboseReport(io, 'profile', chosen, script);
  const who = pid !== undefined ? `PID ${pid}` : tid !== undefined ? `TID ${tid}` : 'all threads';
  const stacks = o.kernel && o.user ? 'user + kernel' : o.user ? 'user' : 'kernel';
  const rate = period !== undefined ? `every ${period} events` : `${o.hz} Hertz`;
  const banner = `Sampling at ${rate} of ${who} by ${stacks} stack${duration !== undefined ? ` for ${duration} secs.` : '... Hit Ctrl-C to end.'}\n`;
  return runStackTool({
    script, io, verbose: v.verbose === true, banner: v.json || v.folded ? '' : banner, ...(duration !== undefined ? { duration } : {}),
    kernel: o.kernel, user: o.user, folded: v.folded === true, delimited: v.delimited === true, annotate: v.annotations === true,
    json: v.json === true, valueName: 'samples',
  });
}

export const profileTool: Tool = { name: 'profile', summary: 'sample stack traces at a timed interval (CPU profile)', run: profile };
