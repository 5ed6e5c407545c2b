/**
 * -k / -kk: a helper call failed in a probe (a helper_error record), printed as bpftrace 0.17
 * prints it.
 *
 * Text (bpftrace's LOG(WARNING, loc) on the output stream): `FILE:LINE:COL-ENDCOL: WARNING:
 * Failed to HELPER: strerror(-ret) (ret)` — or `: ret` when the value is not negative (a lookup
 * that found nothing: `Failed to map_lookup_elem: 0`) — then the script's line (tabs as four
 * spaces) and `~` under the call; a call spanning lines prints `FILE:LINE-ENDLINE: WARNING: …`
 * alone.
 *
 * JSON: `{"type": "helper_error", "helper": "HELPER", "retcode": ret, "line": L, "col": C}`.
 */
import type { Span } from '../lang/source.js';
import { jsonEscape } from './json.js';
import { strerror } from './strerror.js';

export interface HelperFailure {
  /** The helper's name ('map_delete_elem', 'probe_read_kernel', …). */
  helper: string;
  /** Its return value as an int (0 for a lookup that found nothing). */
  retcode: number;
  /** Where the call is in the script. */
  span?: Span;
}

export function helperErrorMessage(f: HelperFailure): string {
  return `Failed to ${f.helper}: ${f.retcode < 0 ? `${strerror(-f.retcode)} (${f.retcode})` : f.retcode}`;
}

/** The warning with the script's line and a `~` marker, as bpftrace prints it (newline-terminated). */
export function formatHelperError(f: HelperFailure, file: string, source: string): string {
  const msg = `WARNING: ${helperErrorMessage(f)}`;
  const s = f.span;
  if (!s) return `${file}: ${msg}\n`;
  if (s.endLine > s.line) return `${file}:${s.line}-${s.endLine}: ${msg}\n`;
  let out = `${file}:${s.line}:${s.col}-${s.endCol}: ${msg}\n`;
  const line = source.split('\n')[s.line - 1] ?? '';
  if (line === '') return out;
  out += `${line.replace(/\t/g, '    ')}\n`;
  let marker = '';
  for (let x = 0; x < line.length && x < s.endCol - 1; x++) {
    const m = x < s.col - 1 ? ' ' : '~';
    marker += line[x] === '\t' ? m.repeat(4) : m;
  }
  return `${out}${marker}\n`;
}

export function jsonHelperError(f: HelperFailure): string {
  return `{"type": "helper_error", "helper": "${jsonEscape(f.helper)}", "retcode": ${f.retcode}, "line": ${f.span?.line ?? 0}, "col": ${f.span?.col ?? 0}}\n`;
}
