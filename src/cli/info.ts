// `sonde --info`: what this kernel offers sonde, and for what is missing, why.
import { probeFeatures, type Feature, type Features } from '../runtime/features.js';
import { VERSION } from './version.js';

function line(name: string, f: Feature): string {
  if (f.ok) return `  ${name}: yes${f.detail ? ` (${f.detail})` : ''}`;
  return `  ${name}: no — ${f.detail}`;
}

export function formatInfo(f: Features): string {
  const out: string[] = [];
  out.push('System', `  OS: Linux ${f.kernel}`, `  Arch: ${f.arch}`);
  out.push('Build', `  version: ${VERSION}`, '  compiler: built in (TypeScript straight to eBPF; no LLVM, no kernel headers)', `  node: ${process.version}`);
  out.push('Kernel features', line('bpf()', f.bpf), line('BTF', f.btf), line('JIT', f.jit), line('run-time statistics', f.stats));
  for (const [k, v] of Object.entries(f.other)) if (k !== 'BTF for kernel types') out.push(line(k, v));
  out.push('Map types');
  for (const [k, v] of Object.entries(f.maps)) out.push(line(k, v));
  out.push('Probe types');
  for (const [k, v] of Object.entries(f.probes)) out.push(line(k, v));
  out.push('Kernel helpers');
  for (const [k, v] of Object.entries(f.helpers)) out.push(line(k, v));
  return out.join('\n') + '\n';
}

export function info(json: boolean): number {
  const f = probeFeatures();
  process.stdout.write(json ? JSON.stringify(f, null, 2) + '\n' : formatInfo(f));
  return f.bpf.ok ? 0 : 1;
}
