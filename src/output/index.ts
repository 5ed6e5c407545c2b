/**
 * sonde's output layer: bytes from BPF maps and ring-buffer records → the exact text bpftrace
 * 0.17 prints. Pure (no kernel, no FFI); only tzfile.ts reads files (zoneinfo, for %Z).
 *
 * Decoding (decode.ts) — `Value` (value.ts) is bigint for integers and pointers, string for
 * strings, arrays for tuples and C arrays, tagged objects for the rest:
 *   decodeValue(t: SType, view: DataView, offset = 0): Value
 *   decodeKey(def: MapDef, bytes: Uint8Array): { key: Value; bucket?: number; raw: Uint8Array }
 *   decodeEventArgs(args: EventArg[], record: DataView, recordOffset = 0): Value[]
 *   decodeAggSlots(t: AggType, perCpu: Uint8Array[]): AggSlot[];  mergeAgg(t, slots, bucket?): MergedAgg
 *
 * printf (printf.ts) — compile time and run time:
 *   parseFormat(fmt: string, fn = 'printf'): FormatSpec          // throws FormatError {offset, token}
 *   checkArgs(spec, argTypes: SType[], fn = 'printf', typeName?): FormatArgError[]
 *   formatPrintf(spec, values: Value[], types: SType[], resolver?): string
 *
 * Maps (maps.ts) — at exit and for print(@m, top, div):
 *   formatMap(def: MapDef, entries: { key: Uint8Array; values: Uint8Array[] }[],
 *             opts?: { top?: number; div?: number; resolver?: Partial<Resolver> }): string
 *   formatMergedMap(def, entries: { key: Uint8Array; value: MergedAgg | Uint8Array }[], opts?): string
 *                    // the same from already-merged entries (the runtime's map-read.ts shape)
 *   formatMaps(maps: { def; entries }[], resolver?): string       // every user map by name (SIGUSR1)
 *   formatExitMaps(maps, resolver?): string                       // "\n\n" + formatMaps: at exit
 *   formatValue(t: SType, v: Value, resolver?): string            // print(value): text + "\n"
 * bpftrace prints every user map at exit, empty ones as a blank line (two for avg/stats).
 * Order: hist/lhist/avg/stats maps exactly as bpftrace (its std::sort is ported); value-sorted
 * maps break ties by key (bpftrace's tie order there is random); see maps.ts.
 *
 * time (time.ts):
 *   formatTime(fmt = '%H:%M:%S\n', now = new Date()): string      // throws TimeFormatError
 *   formatTimestamp(fmt, epochNs): string                         // strftime() values, %f = µs
 *   strftime(fmt, tm: BrokenDownTime): string;  localTime(date): BrokenDownTime
 *
 * Symbols, stacks, user names, probe names, timestamps and cgroup paths need the running system:
 * pass a `Resolver` (resolve.ts); anything not supplied falls back to what bpftrace prints for an
 * unresolvable value (`0x…` addresses, empty stacks). inet, macaddr and strerror are done here.
 *
 * -k/-kk helper failures (helper-error.ts):
 *   formatHelperError(f, file, source): string   // "stdin:1:22-34: WARNING: Failed to …", line, ~~~
 *   jsonHelperError(f): string                   // {"type": "helper_error", …}
 */
export * from './value.js';
export * from './decode.js';
export * from './agg.js';
export * from './resolve.js';
export * from './text.js';
export * from './hist.js';
export * from './printf.js';
export * from './maps.js';
export * from './time.js';
export * from './json.js';
export { strerror } from './strerror.js';
export { formatHelperError, jsonHelperError, helperErrorMessage, type HelperFailure } from './helper-error.js';
export { stdSort, stableSort } from './std-sort.js';
export { parsePosixTz, parseTzif, localTzInfo, zoneAt } from './tzfile.js';
export type { TzInfo, ZoneType } from './tzfile.js';
