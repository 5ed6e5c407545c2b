// The running kernel's build configuration, where the system ships it: /boot/config-<release>
// (Debian; test/vm/run puts it into each guest) or /proc/config.gz (CONFIG_IKCONFIG_PROC).
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { release } from 'node:os';

export interface KernelConfig {
  /** Where it was read from. */
  source: string;
  /** CONFIG_X → 'y' | 'm' | value; options that are "not set" are absent. */
  options: ReadonlyMap<string, string>;
  /** true when CONFIG_<name>=y (built in). */
  builtin(name: string): boolean;
}

export function parseKernelConfig(text: string, source: string): KernelConfig {
  const options = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m) options.set(m[1]!, m[2]!.replace(/^"(.*)"$/, '$1'));
  }
  return { source, options, builtin: (name) => options.get(name) === 'y' };
}

/** The running kernel's config, or undefined when this system does not make it available. */
export function runningKernelConfig(): KernelConfig | undefined {
  const boot = `/boot/config-${release()}`;
  if (existsSync(boot)) return parseKernelConfig(readFileSync(boot, 'utf8'), boot);
  if (existsSync('/proc/config.gz')) return parseKernelConfig(gunzipSync(readFileSync('/proc/config.gz')).toString('utf8'), '/proc/config.gz');
  return undefined;
}

/** Kernel release as [major, minor] ("6.12.117+deb12-cloud-amd64" → [6, 12]). */
export function kernelVersion(): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release());
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

/** Set by test/vm/init: we are the test VM, where every feature the config promises must work. */
export const inTestVm = process.env.SONDE_VM === '1';
