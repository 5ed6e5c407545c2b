// clock_gettime(2) for the clocks BPF programs read: strftime() turns CLOCK_BOOTTIME nanoseconds
// (bpf_ktime_get_boot_ns) into wall-clock time with the offset between the two clocks.
import { check, lib } from './libc.js';

export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;
export const CLOCK_BOOTTIME = 7;

/** The clock's current value in nanoseconds. */
export function clockNs(clock: number): bigint {
  const ts = new BigInt64Array(2);
  check('clock_gettime', lib().clockGettime(clock, ts) as number);
  return ts[0]! * 1_000_000_000n + ts[1]!;
}

/**
 * CLOCK_REALTIME minus CLOCK_BOOTTIME: the wall-clock time of boot, in ns since the epoch. The
 * two clocks are read back to back; the smallest of a few differences bounds the error.
 */
export function bootWallClockNs(): bigint {
  let best: { width: bigint; offset: bigint } | undefined;
  for (let i = 0; i < 3; i++) {
    const b0 = clockNs(CLOCK_BOOTTIME);
    const r = clockNs(CLOCK_REALTIME);
    const b1 = clockNs(CLOCK_BOOTTIME);
    const width = b1 - b0;
    if (!best || width < best.width) best = { width, offset: r - (b0 + width / 2n) };
  }
  return best!.offset;
}
