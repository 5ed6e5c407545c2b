/**
 * Time-zone abbreviations (%Z) the way glibc finds them: from the TZif file named by $TZ (or
 * /etc/localtime), or from a POSIX TZ string. JS can give the UTC offset of a local time but not
 * glibc's abbreviation (Intl says "GMT+1" where glibc says "CET"), hence this reader.
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
  /** After the last transition (the footer rule): standard and, if any, daylight-saving type. */
  rule?: { std: ZoneType; dst?: ZoneType };
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

/** The names and offsets of a POSIX TZ string such as `CET-1CEST,M3.5.0,M10.5.0/3` or `<+0530>-5:30`. */
export function parsePosixTz(s: string): { std: ZoneType; dst?: ZoneType } | undefined {
  const m = /^(<[^>]+>|[A-Za-z]{3,})([-+]?\d{1,3}(?::\d{1,2}){0,2})?(?:(<[^>]+>|[A-Za-z]{3,})([-+]?\d{1,3}(?::\d{1,2}){0,2})?)?/.exec(s);
  if (!m || m[2] === undefined) return undefined;
  const name = (n: string): string => n.replace(/^<(.*)>$/, '$1');
  const secs = (o: string): number => {
    const sign = o.startsWith('-') ? -1 : 1;
    const [hh = 0, mm = 0, ss = 0] = o.replace(/^[-+]/, '').split(':').map(Number);
    // POSIX offsets are west-positive; utoff is east-positive.
    return -sign * (hh * 3600 + mm * 60 + ss);
  };
  const std: ZoneType = { utoff: secs(m[2]), isdst: false, abbrev: name(m[1]!) };
  if (!m[3]) return { std };
  const dstOff = m[4] !== undefined ? secs(m[4]) : std.utoff + 3600;
  return { std, dst: { utoff: dstOff, isdst: true, abbrev: name(m[3]) } };
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

/** The zone glibc would use for this process: $TZ (file name, :path or POSIX string) or /etc/localtime. */
export function localTzInfo(tz: string | undefined = process.env['TZ']): TzInfo | undefined {
  if (tz === undefined) return load('/etc/localtime');
  if (tz === '') return undefined;
  const name = tz.startsWith(':') ? tz.slice(1) : tz;
  const file = name.startsWith('/') ? load(name) : /^[A-Za-z0-9_+\-./]+$/.test(name) && !name.includes('..') ? load(`/usr/share/zoneinfo/${name}`) : undefined;
  if (file) return file;
  const rule = parsePosixTz(name);
  return rule ? { transitions: [], initial: rule.std, rule } : undefined;
}

/**
 * The zone type in force at `epochSeconds`. `utoff` (seconds east of UTC, from the JS Date) picks
 * between standard and daylight time where only the footer rule applies.
 */
export function zoneAt(info: TzInfo | undefined, epochSeconds: number, utoff: number): ZoneType {
  if (!info) return { ...UTC, utoff };
  const ts = info.transitions;
  if (ts.length === 0 || epochSeconds >= ts[ts.length - 1]!.at) {
    if (info.rule) {
      if (info.rule.dst && utoff === info.rule.dst.utoff && utoff !== info.rule.std.utoff) return info.rule.dst;
      return info.rule.std;
    }
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
