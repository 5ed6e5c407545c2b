// The README's library example, verbatim: run by api.test.ts as a user would run it.
import { trace } from 'sonde';

// Which files does `cat /etc/hostname` open? (cpid is the command's pid)
const t = await trace(
  'tracepoint:syscalls:sys_enter_openat /pid == cpid/ { @opens[str(args->filename)] = count(); }',
  { command: 'cat /etc/hostname' },
);
for await (const e of t) {
  if (e.type === 'map') {
    for (const { key, value } of e.entries) console.log(key, value); // /etc/hostname { fn: 'count', count: 1n }
  }
}
