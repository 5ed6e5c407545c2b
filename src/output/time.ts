/**
 * time(fmt) and strftime(): bpftrace formats the local time with the C library's strftime() in
 * the C locale, into a 64-byte buffer. This is glibc's strftime for the C locale: all the usual
 * conversions, the GNU flags `_ - 0 ^ #` and field widths; E and O modifiers are accepted and
 * ignored (as in the C locale); an unknown conversion is copied as written.
 */
import { localTzInfo, zoneAt } from './tzfile.js';
import type { TzInfo } from './tzfile.js';

/** A broken-down local time (struct tm plus what %s, %z and %Z need). */
export interface BrokenDownTime {
  year: number;
  /** 0-11 */
  month: number;
  /** 1-31 */
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday */
  weekday: number;
  /** 0-365 */
  yearday: number;
  /** Seconds east of UTC (tm_gmtoff). */
  utoff: number;
  /** Zone abbreviation (tm_zone), e.g. CET. */
  zone: string;
  /** Seconds since the epoch, for %s. */
  epoch: number;
}

/** bpftrace's default for time(). */
export const DEFAULT_TIME_FORMAT = '%H:%M:%S\n';
/** bpftrace's buffer (STRING_SIZE): longer results are a failure, as is an empty one. */
export const TIME_BUFFER_SIZE = 64;

/** strftime returned 0: the result was empty or did not fit bpftrace's 64-byte buffer. */
export class TimeFormatError extends Error {
  override readonly name = 'TimeFormatError';
  constructor(readonly format: string, readonly length: number) {
    // The message bpftrace logs (as "ERROR: strftime returned 0"); nothing else is printed.
    super('strftime returned 0');
  }
}

/**
 * The local time of `date` in a zone: by default the one glibc would use ($TZ or /etc/localtime);
 * `null` for UTC.
 */
export function localTime(date: Date = new Date(), tz?: TzInfo | null): BrokenDownTime {
  const info = tz === null ? undefined : tz ?? localTzInfo();
  const epoch = Math.floor(date.getTime() / 1000);
  const z = zoneAt(info, epoch);
  const local = new Date((epoch + z.utoff) * 1000);
  const start = Date.UTC(local.getUTCFullYear(), 0, 1);
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth(),
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    weekday: local.getUTCDay(),
    yearday: Math.floor((local.getTime() - start) / 86400000),
    utoff: z.utoff,
    zone: z.abbrev,
    epoch,
  };
}

/** time(fmt): the current local time; throws TimeFormatError where bpftrace prints nothing. */
export function formatTime(format: string = DEFAULT_TIME_FORMAT, now: Date = new Date(), tz?: TzInfo | null): string {
  const text = strftime(format, localTime(now, tz));
  const bytes = new TextEncoder().encode(text).length;
  if (bytes === 0 || bytes >= TIME_BUFFER_SIZE) throw new TimeFormatError(format, bytes);
  return text;
}

/**
 * strftime() values: bpftrace first replaces %f with the 6-digit microseconds, then formats; on
 * failure it prints `(?)`.
 */
export function formatTimestamp(format: string, epochNs: bigint, tz?: TzInfo | null): string {
  const us = ((epochNs % 1_000_000_000n) / 1000n).toString().padStart(6, '0');
  const date = new Date(Number(epochNs / 1_000_000n));
  const text = strftime(format.replaceAll('%f', us), localTime(date, tz));
  const bytes = new TextEncoder().encode(text).length;
  return bytes === 0 || bytes >= TIME_BUFFER_SIZE ? '(?)' : text;
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',
  'October', 'November', 'December'];

function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

/** ISO 8601 week number and week-based year (glibc's iso_week_days). */
function isoWeek(t: BrokenDownTime): { year: number; week: number } {
  const isoDays = (yday: number, wday: number): number => {
    const bigEnoughMultipleOf7 = (Math.floor(366 / 7) + 2) * 7;
    return yday - ((yday - wday + 4 + bigEnoughMultipleOf7) % 7) + 3;
  };
  let year = t.year;
  let days = isoDays(t.yearday, t.weekday);
  if (days < 0) {
    year--;
    days = isoDays(t.yearday + (isLeap(year) ? 366 : 365), t.weekday);
  } else {
    const d = isoDays(t.yearday - (isLeap(year) ? 366 : 365), t.weekday);
    if (d >= 0) {
      year++;
      days = d;
    }
  }
  return { year, week: Math.floor(days / 7) + 1 };
}

/** glibc strftime in the C locale. */
export function strftime(format: string, t: BrokenDownTime): string {
  let out = '';
  let i = 0;
  while (i < format.length) {
    const ch = format[i]!;
    if (ch !== '%') {
      out += ch;
      i++;
      continue;
    }
    const start = i++;
    let pad = '';
    let upcase = false;
    let swapcase = false;
    for (; i < format.length && '_-0^#'.includes(format[i]!); i++) {
      const f = format[i]!;
      if (f === '^') upcase = true;
      else if (f === '#') swapcase = true;
      else pad = f;
    }
    let width = -1;
    if (i < format.length && format[i]! >= '1' && format[i]! <= '9') {
      width = 0;
      while (i < format.length && format[i]! >= '0' && format[i]! <= '9') width = width * 10 + Number(format[i++]);
    }
    if (format[i] === 'E' || format[i] === 'O') i++;
    const c = format[i++];
    if (c === undefined) {
      // A lone '%' (with flags) at the end is copied as written.
      out += format.slice(start);
      break;
    }
    // Numbers: `digits` is the default width, `fill` the default padding.
    const num = (v: number, digits: number, fill: '0' | ' ' = '0'): string => {
      const neg = v < 0;
      let s = Math.abs(v).toString();
      const p = pad === '-' ? '' : pad === '_' ? ' ' : pad === '0' ? '0' : fill;
      const w = width >= 0 ? width : digits;
      if (p && s.length + (neg ? 1 : 0) < w) {
        if (p === '0') s = (neg ? '-' : '') + s.padStart(w - (neg ? 1 : 0), '0');
        else s = ((neg ? '-' : '') + s).padStart(w, ' ');
      } else if (neg) s = `-${s}`;
      return s;
    };
    // Strings: padded to the width with spaces (or zeros with the '0' flag).
    const str = (s: string, caseFlip?: 'upper' | 'lower'): string => {
      if (upcase) s = s.toUpperCase();
      else if (swapcase && caseFlip) s = caseFlip === 'upper' ? s.toUpperCase() : s.toLowerCase();
      return width > s.length && pad !== '-' ? s.padStart(width, pad === '0' ? '0' : ' ') : s;
    };
    const sub = (f: string): string => str(strftime(f, t));
    const hour12 = t.hour % 12 === 0 ? 12 : t.hour % 12;
    switch (c) {
      case '%': out += str('%'); break;
      case 'a': out += str(DAYS[t.weekday]!.slice(0, 3), 'upper'); break;
      case 'A': out += str(DAYS[t.weekday]!, 'upper'); break;
      case 'b': case 'h': out += str(MONTHS[t.month]!.slice(0, 3), 'upper'); break;
      case 'B': out += str(MONTHS[t.month]!, 'upper'); break;
      case 'c': out += sub('%a %b %e %H:%M:%S %Y'); break;
      case 'C': out += num(Math.floor(t.year / 100), 2); break;
      case 'd': out += num(t.day, 2); break;
      case 'D': out += sub('%m/%d/%y'); break;
      case 'e': out += num(t.day, 2, ' '); break;
      case 'F': out += sub('%Y-%m-%d'); break;
      case 'g': out += num(((isoWeek(t).year % 100) + 100) % 100, 2); break;
      case 'G': out += num(isoWeek(t).year, 1); break;
      case 'H': out += num(t.hour, 2); break;
      case 'I': out += num(hour12, 2); break;
      case 'j': out += num(t.yearday + 1, 3); break;
      case 'k': out += num(t.hour, 2, ' '); break;
      case 'l': out += num(hour12, 2, ' '); break;
      case 'm': out += num(t.month + 1, 2); break;
      case 'M': out += num(t.minute, 2); break;
      case 'n': out += str('\n'); break;
      case 'p': out += str(t.hour < 12 ? 'AM' : 'PM', 'lower'); break;
      case 'P': out += str(t.hour < 12 ? 'am' : 'pm'); break;
      case 'r': out += sub('%I:%M:%S %p'); break;
      case 'R': out += sub('%H:%M'); break;
      case 's': out += num(t.epoch, 1); break;
      case 'S': out += num(t.second, 2); break;
      case 't': out += str('\t'); break;
      case 'T': out += sub('%H:%M:%S'); break;
      case 'u': out += num(((t.weekday + 6) % 7) + 1, 1); break;
      case 'U': out += num(Math.floor((t.yearday - t.weekday + 7) / 7), 2); break;
      case 'V': out += num(isoWeek(t).week, 2); break;
      case 'w': out += num(t.weekday, 1); break;
      case 'W': out += num(Math.floor((t.yearday - ((t.weekday - 1 + 7) % 7) + 7) / 7), 2); break;
      case 'x': out += sub('%m/%d/%y'); break;
      case 'X': out += sub('%H:%M:%S'); break;
      case 'y': out += num(((t.year % 100) + 100) % 100, 2); break;
      case 'Y': out += num(t.year, 1); break;
      case 'z': {
        const off = Math.trunc(Math.abs(t.utoff) / 60);
        const v = Math.floor(off / 60) * 100 + (off % 60);
        const digits = num(v, 4);
        out += (t.utoff < 0 ? '-' : '+') + digits;
        break;
      }
      case 'Z': out += str(t.zone, 'lower'); break;
      default: out += format.slice(start, i);
    }
  }
  return out;
}
