/**
 * hist() and lhist() text, line for line as bpftrace 0.17's TextOutput::hist_to_str and
 * lhist_to_str: a 16-column left-aligned label, an 8-column right-aligned count, and a
 * `|…|` bar of up to 52 '@' scaled to the largest bucket. Only the range from the first to the
 * last non-empty bucket is shown (empty buckets inside it print with a count of 0).
 */

const BAR_WIDTH = 52;

/** Bar length as bpftrace computes it: in single-precision float, truncated. */
export function barWidth(count: bigint, max: bigint): number {
  if (max === 0n) return 0;
  const q = Math.fround(Math.fround(Number(count)) / Math.fround(Number(max)));
  return Math.trunc(Math.fround(q * BAR_WIDTH));
}

function row(label: string, shown: bigint, count: bigint, max: bigint): string {
  return `${label.padEnd(16)}${shown.toString().padStart(8)} |${'@'.repeat(barWidth(count, max)).padEnd(BAR_WIDTH)}|\n`;
}

/** A power of two 2^power as bpftrace labels it: 1, 2, …, 512, 1K, …, 512K, 1M, …, 1G, …, 1T, 2T, … */
export function histIndexLabel(power: number): string {
  let suffix = '';
  for (const [p, s] of [[40, 'T'], [30, 'G'], [20, 'M'], [10, 'K']] as const) {
    if (power >= p) {
      suffix = s;
      power -= p;
      break;
    }
  }
  return `${2 ** power}${suffix}`;
}

/**
 * The start of hist(v, k) bucket `index + 1` as newer bpftrace labels it: with N = 2^k, the bucket
 * covers [2^p * (N + j), …) for p = (index >> k) - 1 and j = the low k bits; shortened with
 * K/M/G/T/P/E by powers of 2^10.
 */
function histKLabel(index: number, k: number): string {
  const n = 1 << k;
  const interval = index & (n - 1);
  let power = (index >> k) - 1;
  const decade = Math.floor(power / 10);
  power -= 10 * decade;
  return `${(2 ** power) * (n + interval)}${['', 'K', 'M', 'G', 'T', 'P', 'E'][decade]}`;
}

/**
 * The label of hist bucket `i` (0: negative, 1: zero, 2: one, then [2^(i-2), 2^(i-1))); with
 * k > 0 (hist(v, k)), buckets 1..2^(k+1) are the single values 0..2^(k+1)-1.
 */
export function histBucketLabel(i: number, k = 0): string {
  if (i === 0) return '(..., 0)';
  if (k === 0) {
    if (i === 1) return '[0]';
    if (i === 2) return '[1]';
    return `[${histIndexLabel(i - 2)}, ${histIndexLabel(i - 1)})`;
  }
  if (i <= 2 << k) return `[${i - 1}]`;
  return `[${histKLabel(i - 1, k)}, ${histKLabel(i, k)})`;
}

/** The lowest value of hist(v, k) bucket i >= 1 (for JSON's min/max). */
export function histBucketMin(i: number, k = 0): bigint {
  if (i <= 2 << k) return BigInt(i - 1);
  const n = 1 << k;
  const index = i - 1;
  return (1n << BigInt((index >> k) - 1)) * BigInt(n + (index & (n - 1)));
}

/** How many buckets hist(v, k) has: negative, then 64 powers of two split 2^k ways. */
export function histBuckets(k = 0): number {
  return k === 0 ? 66 : ((64 - k) << k) + (1 << k) + 1;
}

/** A number in an lhist label: multiples of 1M and 1K are shortened (2097152 → 2M, 3072 → 3K). */
export function lhistIndexLabel(n: number): string {
  if (n === 0) return '0';
  if (n % 1048576 === 0) return `${n / 1048576}M`;
  if (n % 1024 === 0) return `${n / 1024}K`;
  return `${n}`;
}

/**
 * The buckets bpftrace shows of a log2 histogram: from the first to the last non-empty one;
 * undefined when every bucket is empty.
 */
export function histShown(counts: readonly bigint[]): { first: number; last: number } | undefined {
  const first = counts.findIndex((c) => c > 0n);
  if (first === -1) return undefined;
  let last = counts.length - 1;
  while ((counts[last] ?? 0n) <= 0n) last--;
  return { first, last };
}

/**
 * The lines of a log2 histogram; `counts[i]` is bucket i (AGG_LAYOUT). `div` divides the printed
 * counts but not the bars (print(@h, top, div)). Empty string when every bucket is empty.
 */
export function histText(counts: readonly bigint[], div = 1n, k = 0): string {
  return shownRows(counts, div, (i) => histBucketLabel(i, k));
}

/** The rows from the first to the last non-empty bucket, bars scaled to the largest. */
function shownRows(counts: readonly bigint[], div: bigint, label: (i: number) => string): string {
  const shown = histShown(counts);
  if (!shown) return '';
  const max = counts.reduce((m, c) => (c > m ? c : m), 0n);
  let out = '';
  for (let i = shown.first; i <= shown.last; i++) {
    const c = counts[i] ?? 0n;
    out += row(label(i), c / div, c, max);
  }
  return out;
}

/** The label of llhist()/bhist() bucket i: (..., b0), [b(i-1), b(i)), [bn, ...). */
export function boundsLabel(i: number, bounds: readonly bigint[]): string {
  if (i === 0) return `(..., ${bounds[0]})`;
  if (i === bounds.length) return `[${bounds[i - 1]}, ...)`;
  return `[${bounds[i - 1]}, ${bounds[i]})`;
}

/**
 * The lines of an llhist()/bhist() histogram, in bpftrace's hist layout: from the first to the
 * last non-empty bucket, labels from the bounds. Counts are divided by print()'s div.
 */
export function boundsText(counts: readonly bigint[], bounds: readonly bigint[], div = 1n): string {
  return shownRows(counts, div, (i) => boundsLabel(i, bounds));
}

export interface LhistRange { min: bigint; max: bigint; step: bigint }

/** Number of in-range buckets of lhist(min, max, step): the out-of-range ones are 0 and this + 1. */
export function lhistBuckets(r: LhistRange): number {
  return Number((r.max - r.min) / r.step);
}

/**
 * The buckets bpftrace shows of a linear histogram (bucket 0 is `(..., min)`, bucket buckets+1 is
 * `[max, ...)`): from the first to the last non-empty one; undefined when every bucket is empty.
 */
export function lhistShown(counts: readonly bigint[], range: LhistRange): { first: number; last: number } | undefined {
  if (!counts.some((c) => c !== 0n)) return undefined;
  const buckets = lhistBuckets(range);
  let first = -1;
  let last = 0;
  for (let i = 0; i <= buckets + 1; i++) {
    if ((counts[i] ?? 0n) > 0n) {
      if (first === -1) first = i;
      last = i;
    }
  }
  return { first: first === -1 ? 0 : first, last };
}

/**
 * The lines of a linear histogram: bucket 0 is `(..., min)`, bucket buckets+1 is `[max, ...)`,
 * bucket i between is `[min + (i-1)*step, min + i*step)`. bpftrace ignores print()'s div here.
 */
export function lhistText(counts: readonly bigint[], range: LhistRange): string {
  const shown = lhistShown(counts, range);
  if (!shown) return '';
  const buckets = lhistBuckets(range);
  const max = counts.reduce((m, c) => (c > m ? c : m), 0n);
  const min = Number(range.min);
  const step = Number(range.step);
  let out = '';
  for (let i = shown.first; i <= shown.last; i++) {
    let label: string;
    if (i === 0) label = `(..., ${lhistIndexLabel(min)})`;
    else if (i === buckets + 1) label = `[${lhistIndexLabel(Number(range.max))}, ...)`;
    else label = `[${lhistIndexLabel((i - 1) * step + min)}, ${lhistIndexLabel(i * step + min)})`;
    const c = counts[i] ?? 0n;
    out += row(label, c, c, max);
  }
  return out;
}
