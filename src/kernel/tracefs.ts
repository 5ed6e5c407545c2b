// tracefs: tracepoint ids and formats, kprobe_events. Not mounted at boot on some machines, so
// sonde mounts it itself (as root) the first time it is needed.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mount } from '../sys/mount.js';
import { UnsupportedError } from '../sys/errors.js';
import type { TracepointFieldInfo } from '../lang/kernel-view.js';

const CANDIDATES = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];
let root: string | undefined;

function isTracefs(dir: string): boolean {
  return existsSync(`${dir}/events`) && existsSync(`${dir}/available_events`);
}

/** The tracefs mount point, mounting it at /sys/kernel/tracing if nothing is mounted yet. */
export function tracefsRoot(): string {
  if (root) return root;
  for (const dir of CANDIDATES) {
    if (isTracefs(dir)) return (root = dir);
  }
  const target = CANDIDATES[0]!;
  if (!existsSync(target)) {
    throw new UnsupportedError('tracefs', `${target} does not exist (kernel built without CONFIG_TRACING?)`);
  }
  try {
    mount('tracefs', target, 'tracefs');
  } catch (e) {
    throw new Error(`tracefs is not mounted and mounting it at ${target} failed: ${(e as Error).message}`, { cause: e });
  }
  if (!isTracefs(target)) throw new UnsupportedError('tracefs', `mounted ${target} but it has no events/`);
  return (root = target);
}

/** Forget the cached mount point (tests that unmount tracefs). */
export function _resetTracefsRootForTests(): void {
  root = undefined;
}

export class TracepointNotFoundError extends Error {
  override readonly name = 'TracepointNotFoundError';
  constructor(readonly category: string, readonly event: string) {
    super(`tracepoint ${category}:${event} does not exist on this kernel`);
  }
}

export function tracepointDir(category: string, event: string): string {
  return `${tracefsRoot()}/events/${category}/${event}`;
}

/** The perf event id of a tracepoint (events/<cat>/<name>/id). */
export function tracepointId(category: string, event: string): number {
  const dir = tracepointDir(category, event);
  let text: string;
  try {
    text = readFileSync(`${dir}/id`, 'utf8');
  } catch {
    throw new TracepointNotFoundError(category, event);
  }
  return Number.parseInt(text, 10);
}

/** One field of a format file: the shape the compiler's KernelView contract defines. */
export type TracepointField = TracepointFieldInfo;

export interface TracepointFormat {
  category: string;
  event: string;
  id: number;
  /** Fields after the common_* header fields. */
  fields: TracepointField[];
  common: TracepointField[];
}

export function parseFormat(category: string, event: string, text: string): TracepointFormat {
  const fields: TracepointField[] = [];
  const common: TracepointField[] = [];
  let id = -1;
  for (const line of text.split('\n')) {
    const idm = /^ID:\s*(\d+)/.exec(line);
    if (idm) id = Number(idm[1]);
    const m = /^\s*field:(.*?);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d+);/.exec(line);
    if (!m) continue;
    const decl = m[1]!.trim();
    const arr = /\[(\d*)\]\s*$/.exec(decl);
    const nameMatch = /([A-Za-z_][A-Za-z0-9_]*)\s*(\[\d*\])?\s*$/.exec(decl);
    const name = nameMatch ? nameMatch[1]! : decl;
    const f: TracepointField = {
      decl,
      name,
      offset: Number(m[2]),
      size: Number(m[3]),
      signed: m[4] === '1',
      dataLoc: decl.startsWith('__data_loc') || decl.startsWith('__rel_loc'),
      ...(arr && arr[1] ? { arrayLen: Number(arr[1]) } : {}),
    };
    (name.startsWith('common_') ? common : fields).push(f);
  }
  return { category, event, id, fields, common };
}

export function tracepointFormat(category: string, event: string): TracepointFormat {
  let text: string;
  try {
    text = readFileSync(`${tracepointDir(category, event)}/format`, 'utf8');
  } catch {
    throw new TracepointNotFoundError(category, event);
  }
  return parseFormat(category, event, text);
}

/** Glob match for probe patterns: `*` any run, `?` one char. */
export function globToRegExp(glob: string): RegExp {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`);
}

/** All tracepoints as [category, event], optionally filtered by glob patterns on each part. */
export function listTracepoints(catGlob = '*', eventGlob = '*'): [string, string][] {
  const base = `${tracefsRoot()}/events`;
  const cre = globToRegExp(catGlob);
  const ere = globToRegExp(eventGlob);
  const out: [string, string][] = [];
  for (const cat of readdirSync(base).sort()) {
    if (!cre.test(cat)) continue;
    const cdir = `${base}/${cat}`;
    if (!statSync(cdir).isDirectory()) continue;
    for (const ev of readdirSync(cdir).sort()) {
      if (ere.test(ev) && existsSync(`${cdir}/${ev}/id`)) out.push([cat, ev]);
    }
  }
  return out;
}
