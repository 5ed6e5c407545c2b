/**
 * The independent truth for ELF tests: GNU binutils' own reading of the same files, parsed from
 * `readelf -W` and `nm` output. Missing binutils is a test failure with a plain message, never a skip.
 */
import { execFileSync } from 'node:child_process';

export function tool(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`${cmd} is not installed; the ELF tests compare against GNU binutils (apt-get install binutils)`);
    }
    throw e;
  }
}

export interface RSection {
  index: number;
  name: string;
  type: string;
  addr: number;
  offset: number;
  size: number;
  flags: string;
  link: number;
  info: number;
  align: number;
}

export function readelfSections(path: string): RSection[] {
  const out: RSection[] = [];
  for (const line of tool('readelf', ['-SW', path]).split('\n')) {
    const m = /^\s*\[\s*(\d+)\]\s(.*)$/.exec(line);
    if (m === null) continue;
    const tokens = m[2]!.trim().split(/\s+/);
    const a = tokens.findIndex((t) => /^[0-9a-f]{16}$/.test(t));
    if (a < 1) continue;
    const rest = tokens.slice(a + 4);
    out.push({
      index: Number(m[1]),
      name: tokens.slice(0, a - 1).join(' '),
      type: tokens[a - 1]!,
      addr: parseInt(tokens[a]!, 16),
      offset: parseInt(tokens[a + 1]!, 16),
      size: parseInt(tokens[a + 2]!, 16),
      flags: rest.length === 4 ? rest[0]! : '',
      link: Number(rest[rest.length - 3]),
      info: Number(rest[rest.length - 2]),
      align: Number(rest[rest.length - 1]),
    });
  }
  return out;
}

export interface RSegment {
  type: string;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  /** PF_R | PF_W | PF_X bits. */
  flags: number;
  align: number;
}

export function readelfSegments(path: string): RSegment[] {
  const out: RSegment[] = [];
  const re = /^\s+([A-Z_]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+([RWE ]+?)\s+0x([0-9a-f]+)$/;
  for (const line of tool('readelf', ['-lW', path]).split('\n')) {
    const m = re.exec(line);
    if (m === null) continue;
    const f = m[7]!;
    out.push({
      type: m[1]!,
      offset: parseInt(m[2]!, 16),
      vaddr: parseInt(m[3]!, 16),
      paddr: parseInt(m[4]!, 16),
      filesz: parseInt(m[5]!, 16),
      memsz: parseInt(m[6]!, 16),
      flags: (f.includes('R') ? 4 : 0) | (f.includes('W') ? 2 : 0) | (f.includes('E') ? 1 : 0),
      align: parseInt(m[8]!, 16),
    });
  }
  return out;
}

export function readelfFileType(path: string): string {
  return /Type:\s+(\S+)/.exec(tool('readelf', ['-hW', path]))![1]!;
}

export interface RSymbol {
  index: number;
  value: number;
  size: number;
  type: string;
  bind: string;
  vis: string;
  /** "UND", "ABS", "COM" or the section index as text. */
  ndx: string;
  /** As readelf prints it, including `@VER` / `@@VER`, without the trailing " (N)". */
  name: string;
}

/** Symbol tables by table name (".symtab", ".dynsym") as `readelf -sW` prints them. */
export function readelfSymbols(path: string, dynamicOnly = false): Map<string, RSymbol[]> {
  const tables = new Map<string, RSymbol[]>();
  let current: RSymbol[] | undefined;
  const text = tool('readelf', dynamicOnly ? ['--dyn-syms', '-W', path] : ['-sW', path]);
  for (const line of text.split('\n')) {
    const head = /^Symbol table '([^']+)'/.exec(line);
    if (head !== null) {
      current = [];
      tables.set(head[1]!, current);
      continue;
    }
    const m = /^\s*(\d+):\s+([0-9a-f]+)\s+(0x[0-9a-f]+|\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s?(.*)$/.exec(line);
    if (m === null || current === undefined) continue;
    current.push({
      index: Number(m[1]),
      value: parseInt(m[2]!, 16),
      size: Number(m[3]),
      type: m[4]!,
      bind: m[5]!,
      vis: m[6]!,
      ndx: m[7]!,
      name: m[8]!.replace(/ \(\d+\)$/, ''),
    });
  }
  return tables;
}

export interface NmSymbol {
  value: number;
  kind: string;
  name: string;
}

export function nmSymbols(path: string, dynamic = false): NmSymbol[] {
  const out: NmSymbol[] = [];
  for (const line of tool('nm', dynamic ? ['-D', path] : [path]).split('\n')) {
    const m = /^([0-9a-f]+) (\S) (.+)$/.exec(line);
    if (m !== null) out.push({ value: parseInt(m[1]!, 16), kind: m[2]!, name: m[3]! });
  }
  return out;
}

/** Address of a symbol per nm; throws unless exactly one line has that name. */
export function nmAddress(path: string, name: string): number {
  const hits = nmSymbols(path).filter((s) => s.name === name);
  if (hits.length !== 1) throw new Error(`nm: expected one ${name} in ${path}, found ${hits.length}`);
  return hits[0]!.value;
}

export function readelfBuildId(path: string): string | undefined {
  return /Build ID: ([0-9a-f]+)/.exec(tool('readelf', ['-nW', path]))?.[1];
}

export interface RStapsdt {
  provider: string;
  name: string;
  location: number;
  base: number;
  semaphore: number;
  args: string;
}

export function readelfStapsdt(path: string): RStapsdt[] {
  const text = tool('readelf', ['-nW', path]);
  const out: RStapsdt[] = [];
  const re = /Provider: (.*)\n\s+Name: (.*)\n\s+Location: 0x([0-9a-f]+), Base: 0x([0-9a-f]+), Semaphore: 0x([0-9a-f]+)\n\s+Arguments: ?(.*)/g;
  for (const m of text.matchAll(re)) {
    out.push({
      provider: m[1]!,
      name: m[2]!,
      location: parseInt(m[3]!, 16),
      base: parseInt(m[4]!, 16),
      semaphore: parseInt(m[5]!, 16),
      args: m[6]!,
    });
  }
  return out;
}
