// sonde's command line. Subcommands load only what they use, so `--help` stays instant.
import { VERSION } from './version.js';

export const USAGE = `sonde ${VERSION} — DTrace-style dynamic tracing for Linux, in TypeScript

usage:
  sonde --info [--json]        what this kernel supports for tracing, and why not when it does not
  sonde count [options] PROBE  count events per probe (sonde count -h)
  sonde --version

Probes: tracepoint:cat:event (wildcards), rawtracepoint:name, kprobe:func, kretprobe:func,
uprobe:binary:func, uretprobe:binary:func, fentry:func, fexit:func, software:event:N,
hardware:event:N, profile:hz:N, interval:ms:N, BEGIN, END.

Examples:
  sonde --info
  sonde count -d 5 'tracepoint:syscalls:sys_enter_*'
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case undefined:
      case '-h':
      case '--help':
        process.stdout.write(USAGE);
        return cmd === undefined ? 1 : 0;
      case '-V':
      case '--version':
        process.stdout.write(`sonde ${VERSION}\n`);
        return 0;
      case '--info':
        return (await import('./info.js')).info(rest.includes('--json'));
      case 'count':
        return await (await import('./count.js')).count(rest);
      default:
        process.stderr.write(`sonde: unknown command '${cmd}'\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    process.stderr.write(`sonde: ${e instanceof Error ? e.message : String(e)}\n`);
    if (process.env['SONDE_DEBUG'] && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}
