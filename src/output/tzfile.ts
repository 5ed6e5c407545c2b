/**
 * Local time zones the way glibc finds them: the TZif file named by $TZ (or /etc/localtime), or a
 * POSIX TZ string. JS Date knows offsets but not glibc's abbreviations (Intl says "GMT+1" where
 * glibc's %Z says "CET"), and cannot be asked about another zone than the process's; so the zone
 * (offset and abbreviation at an instant) comes from here, and time.ts only does calendar sums.
 *
 * Reads files with node:fs (once per zone, cached); everything else in src/output is pure.
 */
import { readFileSync } from 'node:fs';

export interface ZoneType { utoff: number; isdst: boolean; abbrev: string }

export interface TzInfo {
  /** Transition instants (seconds since the epoch), ascending, and the type in force from each. */
  transitions: { at: number; type: ZoneType }[];
  /** In force before the first transition. */
  initial: ZoneType;
  /** After the last transition: the footer's POSIX TZ rule. */
  rule?: PosixTz;
}

const UTC: ZoneType = { utoff: 0, isdst: false, abbrev: 'UTC' };

/** Parses TZif data (RFC 8536, versions 1-4; the 64-bit block is used when present). */
export function parseTzif(data: Uint8Array): TzInfo | undefined {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const magic = String.fromCharCode(...data.subarray(0, 4));
  if (magic !== 'TZif' || data.length < 44) return undefined;
  const version = data[4]!;
  const header = (at: number) => ({
    isut: dv.getUint32(at + 20), isstd: dv.getUint32(at + 24), leap: dv.getUint32(at + 28),
    time: dv.getUint32(at + 32), type: dv.getUint32(at + 36), chars: dv.getUint32(at + 40),
  });
  let h = header(0);
  let at = 44;
  let timeSize = 4;
  if (version >= 0x32) {
    // Skip the v1 block; the v2+ block that follows has 64-bit times and a footer.
    at += h.time * 5 + h.type * 6 + h.chars + h.leap * 8 + h.isstd + h.isut;
    h = header(at);
    at += 44;
    timeSize = 8;
  }
  const timesAt = at;
  const idxAt = timesAt + h.time * timeSize;
  const typesAt = idxAt + h.time;
  const charsAt = typesAt + h.type * 6;
  const end = charsAt + h.chars + h.leap * (timeSize + 4) + h.isstd + h.isut;
  if (end > data.length || h.type === 0) return undefined;
  const abbrevAt = (i: number): string => {
    let s = '';
    for (let j = charsAt + i; j < charsAt + h.chars && data[j] !== 0; j++) s += String.fromCharCode(data[j]!);
    return s;
  };
  const types: ZoneType[] = [];
  for (let i = 0; i < h.type; i++) {
    const p = typesAt + i * 6;
    types.push({ utoff: dv.getInt32(p), isdst: data[p + 4] !== 0, abbrev: abbrevAt(data[p + 5]!) });
  }
  const transitions: TzInfo['transitions'] = [];
  for (let i = 0; i < h.time; i++) {
    const t = timeSize === 8 ? Number(dv.getBigInt64(timesAt + 8 * i)) : dv.getInt32(timesAt + 4 * i);
    transitions.push({ at: t, type: types[data[idxAt + i]!] ?? types[0]! });
  }
  const info: TzInfo = { transitions, initial: types[0]! };
  if (timeSize === 8 && data[end] === 0x0a) {
    const close = data.indexOf(0x0a, end + 1);
    if (close > end + 1) {
      const rule = parsePosixTz(String.fromCharCode(...data.subarray(end + 1, close)));
      if (rule) info.rule = rule;
    }
  }
  return info;
}

/** When daylight-saving time starts or ends in a POSIX TZ rule: a day form and a local time. */
export interface TzRuleDate {
  /** J: day 1-365 ignoring Feb 29; N: day 0-365 counting it; M: month, week (5 = last), weekday. */
  form: 'J' | 'N' | 'M';
  day: number;
  month: number;
  week: number;
  /** Seconds after local midnight (may be negative or beyond a day in TZif v3+). */
  time: number;
}

export interface PosixTz { std: ZoneType; dst?: ZoneType; start?: TzRuleDate; end?: TzRuleDate }

/** A POSIX TZ string such as `CET-1CEST,M3.5.0,M10.5.0/3`, `<+0530>-5:30` or `EST5EDT`. */
export function parsePosixTz(s: string): PosixTz | undefined {
  const m = /^(<[^>]+>|[A-Za-z]{3,})([-+]?\d{1,3}(?::\d{1,2}){0,2})(?:(<[^>]+>|[A-Za-z]{3,})([-+]?\d{1,3}(?::\d{1,2}){0,2})?(?:,([^,]+),([^,]+))?)?$/.exec(s);
  if (!m) return undefined;
  const name = (n: string): string => n.replace(/^<(.*)>$/, '$1');
  const hms = (o: string): number => {
    const sign = o.startsWith('-') ? -1 : 1;
    const [hh = 0, mm = 0, ss = 0] = o.replace(/^[-+]/, '').split(':').map(Number);
    return sign * (hh * 3600 + mm * 60 + ss);
  };
  // POSIX offsets are west-positive; utoff is east-positive.
  const std: ZoneType = { utoff: 0 - hms(m[2]!) + 0, isdst: false, abbrev: name(m[1]!) };
  if (!m[3]) return { std };
  const dst: ZoneType = { utoff: m[4] !== undefined ? 0 - hms(m[4]) + 0 : std.utoff + 3600, isdst: true, abbrev: name(m[3]) };
  const date = (d: string): TzRuleDate | undefined => {
    const [when = '', time] = d.split('/');
    const t = time === undefined ? 7200 : hms(time);
    let r: RegExpExecArray | null;
    if ((r = /^J(\d{1,3})$/.exec(when))) return { form: 'J', day: Number(r[1]), month: 0, week: 0, time: t };
    if ((r = /^(\d{1,3})$/.exec(when))) return { form: 'N', day: Number(r[1]), month: 0, week: 0, time: t };
    if ((r = /^M(\d{1,2})\.(\d)\.(\d)$/.exec(when))) return { form: 'M', month: Number(r[1]), week: Number(r[2]), day: Number(r[3]), time: t };
    return undefined;
  };
  // Without dates glibc uses the US rules.
  const start = date(m[5] ?? 'M3.2.0');
  const end = date(m[6] ?? 'M11.1.0');
  return start && end ? { std, dst, start, end } : { std, dst };
}

const DAY = 86400;

/** Seconds from the epoch to local midnight of a rule's day in `year` (local = no offset applied). */
function ruleDay(year: number, r: TzRuleDate): number {
  const jan1 = Date.UTC(year, 0, 1) / 1000;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  switch (r.form) {
    case 'J': return jan1 + (r.day - 1 + (leap && r.day >= 60 ? 1 : 0)) * DAY;
    case 'N': return jan1 + r.day * DAY;
    case 'M': {
      const first = Date.UTC(year, r.month - 1, 1) / 1000;
      const firstWday = new Date(first * 1000).getUTCDay();
      let day = 1 + ((r.day - firstWday + 7) % 7) + (r.week - 1) * 7;
      const days = new Date(Date.UTC(year, r.month, 0)).getUTCDate();
      while (day > days) day -= 7;
      return first + (day - 1) * DAY;
    }
  }
}

/** The zone type a POSIX TZ rule gives at an instant. */
export function posixZoneAt(tz: PosixTz, epochSeconds: number): ZoneType {
  if (!tz.dst || !tz.start || !tz.end) return tz.std;
  const year = new Date((epochSeconds + tz.std.utoff) * 1000).getUTCFullYear();
  // Start is given in standard local time, end in daylight local time.
  const start = ruleDay(year, tz.start) + tz.start.time - tz.std.utoff;
  const end = ruleDay(year, tz.end) + tz.end.time - tz.dst.utoff;
  const inDst = start < end ? epochSeconds >= start && epochSeconds < end : !(epochSeconds >= end && epochSeconds < start);
  return inDst ? tz.dst : tz.std;
}

const cache = new Map<string, TzInfo | undefined>();

function load(path: string): TzInfo | undefined {
  if (!cache.has(path)) {
    let info: TzInfo | undefined;
    try {
      info = parseTzif(readFileSync(path));
    } catch {
      info = undefined;
    }
    cache.set(path, info);
  }
  return cache.get(path);
}

/**
 * The zone glibc would use for this process: $TZ (a zoneinfo name, `:path`, or a POSIX string) or
 * /etc/localtime. Like glibc, anything unusable (TZ="", an unknown name, no file) is UTC.
 */
export function localTzInfo(tz: string | undefined = process.env['TZ']): TzInfo {
  const utc: TzInfo = { transitions: [], initial: UTC };
  if (tz === undefined) return load('/etc/localtime') ?? utc;
  if (tz === '') return utc;
  const name = tz.startsWith(':') ? tz.slice(1) : tz;
  const file = name.startsWith('/') ? load(name) : /^[A-Za-z0-9_+\-./]+$/.test(name) && !name.includes('..') ? load(`/usr/share/zoneinfo/${name}`) : undefined;
  if (file) return file;
  const rule = parsePosixTz(name);
  return rule ? { transitions: [], initial: rule.std, rule } : utc;
}

/** The zone type in force at `epochSeconds` (UTC, no zone information: offset 0, "UTC"). */
export function zoneAt(info: TzInfo | undefined, epochSeconds: number): ZoneType {
  if (!info) return UTC;
  const ts = info.transitions;
  if (ts.length === 0 || epochSeconds >= ts[ts.length - 1]!.at) {
    if (info.rule) return posixZoneAt(info.rule, epochSeconds);
    return ts.length ? ts[ts.length - 1]!.type : info.initial;
  }
  if (epochSeconds < ts[0]!.at) return info.initial;
  let lo = 0;
  let hi = ts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ts[mid]!.at <= epochSeconds) lo = mid;
    else hi = mid - 1;
  }
  return ts[lo]!.type;
}
