/**
 * The compiler's output: a whole script as pure data (no fds, no kernel). The runtime
 * (src/runtime/script.ts) turns it into kernel objects: creates `maps`, assembles and loads
 * `programs` (map references are by `MapDef.name`), attaches them, reads `events` from the ring
 * buffer and prints what bpftrace prints.
 *
 * Golden tests compare `formatSpec()` / disassembly of a CompiledScript, so everything here is
 * deterministic.
 */
import type { AsmItem } from '../asm/insn.js';
import type { SType, AggType } from './types.js';
import type { IrProgram } from './ir.js';
import type { Span } from './source.js';

export type MapKindName =
  | 'hash' | 'array' | 'percpu_hash' | 'percpu_array' | 'lru_hash' | 'lru_percpu_hash'
  | 'stack_trace' | 'ringbuf' | 'perf_event_array';

export type ProgKindName = 'kprobe' | 'tracepoint' | 'raw_tracepoint' | 'perf_event' | 'tracing';

export interface MapDef {
  /**
   * The script's name ('@x', '@' for the anonymous map) or an internal name:
   * '.events' (ringbuf of event records), '.lost' (percpu_array, u32 0 → u64: records the
   * programs could not reserve), '.elapsed' (array, u32 0 → u64: CLOCK_BOOTTIME ns at start,
   * written by the runtime before BEGIN runs; `elapsed` = now - it), '.cpid' (array, u32 0 → u64:
   * the -c child's pid, written by the runtime), '.stacks_<limit>' (stack_trace, <limit> frames:
   * a kstack value is its u64 stack id there, a ustack value is [u64 stack id, u64 pid]).
   */
  name: string;
  /** ≤ 15 chars of [A-Za-z0-9_.], unique in the script (what bpftool shows). */
  kernelName: string;
  kind: MapKindName;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** Type of the key: void for a scalar map (key is a u32 0 in an array map), else the key type
   *  (a tuple for multi-part keys @m[a, b]). hist/lhist maps append a u64 bucket index. */
  key: SType;
  /** Value type: an aggregation or a plain value (int, string, tuple, …). */
  value: SType;
  /** True for maps the user sees (printed at exit when non-empty). */
  user: boolean;
  span?: Span;
  /**
   * A tid-indexed map (src/lang/lower/tidmaps.ts): the value of each tid below `slots` lives in
   * the internal array map `array` (u32 tid → { u64 present, u64 value }), the other tids' in
   * this hash. Readers merge the two: the present slots are entries keyed by their tid.
   */
  tidSlots?: { slots: number; array: string };
  /**
   * A pid/tid-indexed aggregation (src/lang/lower/tidmaps.ts): each key below `slots` lives in
   * the internal per-CPU array map `array` (u32 key → the aggregation's words; sum: [sum,
   * touched]), the other keys in this per-CPU hash. Readers merge the two: the touched slots are
   * entries keyed by their index.
   */
  aggSlots?: { slots: number; array: string };
}

/**
 * Where and how a program attaches. One per expanded attach point. `optional`: a kprobe or
 * uprobe that a wildcard expanded to, or one of several attach points of a block; when its
 * function cannot be probed the runtime warns and skips it, as bpftrace 0.17 does.
 */
export type AttachDef =
  | { kind: 'begin' | 'end' }
  | { kind: 'tracepoint'; category: string; event: string }
  | { kind: 'rawtracepoint'; name: string }
  | {
      kind: 'kprobe' | 'kretprobe'; func: string; offset?: number; module?: string; optional?: boolean;
      /**
       * Compiled for fentry (kprobe) / fexit (kretprobe): the function's BTF id in vmlinux, which
       * the program is loaded against. The runtime falls back to a kprobe (the program's
       * `fallback`) when the kernel refuses the fentry program or its attachment.
       */
      fentryBtfId?: number;
      /** Why a kprobe rather than fentry (for -v), when the kernel has fentry. */
      kprobeReason?: string;
      /** The link's BPF cookie: the probe id `probe` reads (bpf_get_attach_cookie) in a program serving several functions. */
      cookie?: number;
    }
  | { kind: 'uprobe' | 'uretprobe'; path: string; func: string; address?: bigint; offset?: number; optional?: boolean }
  /** `sites`: the locations this program serves (file offsets, semaphore offsets); absent: every location of provider:name in the file. */
  | { kind: 'usdt'; path: string; provider: string; name: string; sites?: { offset: number; semaphore?: number }[] }
  /** `btfId`: the function's BTF id in vmlinux, set by the compiler (the program is loaded against it). */
  | { kind: 'fentry' | 'fexit'; func: string; module?: string; btfId?: number; optional?: boolean }
  | { kind: 'software' | 'hardware'; event: string; period: number }
  | { kind: 'profile'; hz: number }
  | { kind: 'interval'; periodNs: number }
  /** watchpoint/asyncwatchpoint on an absolute address: `length` bytes, `mode` letters of r, w, x. */
  | { kind: 'watchpoint'; address: bigint; length: number; mode: string }
  /**
   * watchpoint:FUNC+argN (and asyncwatchpoint:): the program serving it is not attached at start.
   * A setup program (a uprobe on `func` in `path`) sends a `watch` event with argument `arg` of
   * each call; the runtime then opens a breakpoint of `length` bytes, `mode`, at that address in
   * the traced process and attaches this program to it. `watch` numbers these attach points
   * (the id the event carries). Unless `async`, the setup program stops the process (SIGSTOP)
   * and the runtime lets it go on (SIGCONT) once the breakpoint is in place.
   */
  | {
      kind: 'funcwatchpoint'; path: string; func: string; arg: number; length: number; mode: string; async: boolean; watch: number;
      /** A wildcard's function: its setup uprobe is `optional`, as a uprobe wildcard's functions are. */
      optional?: boolean;
    };

export interface ProgramDef {
  /** Kernel program name (≤ 15 chars). */
  name: string;
  /** Index of the probe block in the script, and the probe's text for `probe` and messages. */
  probeIndex: number;
  probeName: string;
  progKind: ProgKindName;
  /** Attach points served by this program (bpftrace counts these in "Attaching N probes..."). */
  attach: AttachDef[];
  /** The program, map references by MapDef.name; spans on instructions. */
  insns: AsmItem[];
  /** The IR it came from (for -d). */
  ir?: IrProgram;
  /**
   * A kprobe program compiled as fentry/fexit (progKind 'tracing', attach points with
   * fentryBtfId) carries the same probe compiled for kprobes: the runtime loads and attaches it
   * for every attach point whose fentry program the kernel refuses.
   */
  fallback?: ProgramDef;
}

/** One argument of an event record: where it is and how to read it. */
export interface EventArg {
  type: SType;
  /** Byte offset from the start of the record (the 8-byte header is at 0, so arguments start at 8). */
  offset: number;
}

/**
 * Records the programs send to user space through the ring buffer map '.events'. Every record
 * starts with an 8-byte header: u32 event id (index into `events`), u32 reserved (0).
 */
export type EventDef =
  /** `join`: the record of a join(), which -f json prints as {"type": "join", …}. */
  | { kind: 'printf'; format: string; args: EventArg[]; size: number; span?: Span; join?: true }
  /** print(value) of a non-map expression. */
  | { kind: 'print_value'; args: EventArg[]; size: number }
  /** print(@m [, top [, div]]), clear(@m), zero(@m): done by the runtime when the event arrives. */
  | { kind: 'print_map'; map: string; top: number; div: number }
  | { kind: 'clear_map'; map: string }
  | { kind: 'zero_map'; map: string }
  /** time(fmt): the runtime prints the current local time with strftime-style `format`. */
  | { kind: 'time'; format: string }
  /** exit() / exit(code): stop; END runs, then maps are printed. With `code`, the record holds an
   *  i64 exit status after the header and sonde exits with it (newer bpftrace). */
  | { kind: 'exit'; code?: true }
  /** system(fmt, args…) and cat(fmt, args…): need --unsafe (system) / read a file (cat). */
  | { kind: 'system' | 'cat'; format: string; args: EventArg[]; size: number }
  /**
   * The setup program of the funcwatchpoint attach point numbered `watch` saw a call: a u64
   * address follows the header. The runtime watches it (once per address in a row, as bpftrace).
   */
  | { kind: 'watch'; watch: number }
  /** unwatch(addr): a u64 address follows the header; the runtime removes its breakpoints. */
  | { kind: 'unwatch' }
  /**
   * -k / -kk: a helper call failed. `helper` is its name as bpftrace prints it
   * ('map_delete_elem', 'probe_read_kernel', …), `span` the script text of the call. The record
   * holds the helper's return value as an i64 after the header (0 for a lookup that found nothing).
   */
  | { kind: 'helper_error'; helper: string; span?: Span };

export interface CompiledScript {
  file: string;
  source: string;
  maps: MapDef[];
  programs: ProgramDef[];
  events: EventDef[];
  /** Number of attach points (the N of "Attaching N probes..."). */
  probeCount: number;
  /** Needs --unsafe (system(), signal()…); the runtime refuses without it. */
  unsafe: boolean;
  /** Positional parameters as given ($1 …), kept for the runtime's messages. */
  params: string[];
  /**
   * Values of the `probe` builtin (SymbolType 'probe', a u64 in the kernel) are indexes into this
   * list of full probe names ('tracepoint:syscalls:sys_enter_openat'); '' for unused indexes.
   * Always set by the compiler (optional only so hand-built scripts need not list it).
   */
  probeNames?: string[];
  /** strftime() values carry an index into this list of formats (SymbolType 'timestamp'). */
  strftimeFormats?: string[];
  /** cgroup_path() values carry an index into this list of hierarchy filters ('*' when none). */
  cgroupPathFilters?: string[];
  /** Compile-time warnings (debugf()), formatted like errors; the CLI prints them unless --no-warnings. */
  warnings?: string[];
  /** `config = { print_maps_on_exit = false }`: the maps are not printed at exit. */
  printMapsOnExit?: boolean;
  /**
   * `config = { missing_probes = warn|ignore }` (or BPFTRACE_MISSING_PROBES): an attach point the
   * runtime cannot attach is skipped (with a warning under warn) instead of failing the run.
   */
  missingProbes?: 'warn' | 'ignore';
}

/** An aggregation map's value, for the runtime's decoder. */
export function aggOf(m: MapDef): AggType | undefined {
  return m.value.kind === 'agg' ? m.value : undefined;
}
