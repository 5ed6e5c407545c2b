// Text renderings of a compiled script for golden tests: maps, events, programs.
import type { CompiledIr } from '../../../src/lang/compile.js';
import { formatIr } from '../../../src/lang/ir.js';
import type { CompiledScript, EventDef, MapDef } from '../../../src/lang/spec.js';
import { typeName } from '../../../src/lang/types.js';

export function showMap(m: MapDef): string {
  const key = m.key.kind === 'void' ? '' : ` key ${typeName(m.key)}`;
  return `map ${m.name} (${m.kernelName}) ${m.kind} key ${m.keySize}B value ${m.valueSize}B max ${m.maxEntries};${key} value ${typeName(m.value)}`;
}

export function showEvent(e: EventDef, i: number): string {
  const args = 'args' in e ? ` args ${e.args.map((a) => `${typeName(a.type)}@${a.offset}`).join(' ')} size ${e.size}` : '';
  switch (e.kind) {
    case 'printf': case 'system': case 'cat': return `event ${i} ${e.kind} ${JSON.stringify(e.format)}${args}`;
    case 'print_value': return `event ${i} print_value${args}`;
    case 'print_map': return `event ${i} print_map ${e.map} top ${e.top} div ${e.div}`;
    case 'clear_map': case 'zero_map': return `event ${i} ${e.kind} ${e.map}`;
    case 'time': return `event ${i} time ${JSON.stringify(e.format)}`;
    case 'exit': return `event ${i} exit`;
    case 'watch': return `event ${i} watch ${e.watch}`;
    case 'unwatch': return `event ${i} unwatch`;
    case 'helper_error': return `event ${i} helper_error ${e.helper}${e.span ? ` at ${e.span.line}:${e.span.col}-${e.span.endCol}` : ''}`;
  }
}

export function showHeader(c: Pick<CompiledScript, 'maps' | 'events' | 'probeCount'>): string[] {
  return [`probes ${c.probeCount}`, ...c.maps.map(showMap), ...c.events.map(showEvent)];
}

export function showIr(c: CompiledIr): string {
  const out = showHeader(c);
  for (const p of c.programs) {
    out.push('', `; ${p.probeName} → ${p.progKind} ${p.attach.map((a) => JSON.stringify(a, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).join(' ')}`);
    out.push(formatIr(p.ir).trimEnd());
  }
  return out.join('\n') + '\n';
}
