// cgroup_path(id [, filter]) as bpftrace prints it: for every cgroup hierarchy mounted (cgroup2 as
// "unified", a v1 hierarchy by its mount directory's name), the path under its mount of the
// directory whose inode number is the id; "name:path" pairs joined by commas, "unified" first,
// then by name; hierarchies where the id is not found are left out. Resolved when the value is
// printed, so a cgroup removed since the event prints nothing.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface CgroupRoot {
  /** 'unified' for cgroup2, else the mount directory's name ('cpu', 'memory', 'systemd'). */
  name: string;
  mountpoint: string;
}

/** Cgroup mounts listed in /proc/mounts (text given for tests). */
export function cgroupRoots(mounts = readFileSync('/proc/mounts', 'utf8')): CgroupRoot[] {
  const out: CgroupRoot[] = [];
  for (const line of mounts.split('\n')) {
    const m = /^(cgroup2?) (\S+)/.exec(line);
    if (!m) continue;
    const mountpoint = m[2]!.replace(/\\040/g, ' ');
    out.push({ name: m[1] === 'cgroup2' ? 'unified' : basename(mountpoint), mountpoint });
  }
  return out;
}

/** bpftrace's filter: a name with `*` wildcards. */
function filterRegex(filter: string): RegExp {
  return new RegExp(`^${filter.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

export class CgroupPaths {
  private readonly cache = new Map<string, string>();
  constructor(private readonly roots: () => CgroupRoot[] = () => cgroupRoots()) {}

  /** The text of cgroup_path(id, filter). */
  text(id: bigint, filter = '*'): string {
    const re = filterRegex(filter);
    const pairs = this.roots()
      .filter((r) => re.test(r.name))
      .map((r) => ({ name: r.name, path: this.find(id, r.mountpoint) }))
      .filter((p) => p.path !== '');
    pairs.sort((a, b) => (a.name === b.name ? 0 : a.name === 'unified' ? -1 : b.name === 'unified' ? 1 : a.name < b.name ? -1 : 1));
    return pairs.map((p) => `${p.name}:${p.path}`).join(',');
  }

  /** The path under `root` of the directory with inode `id`; '' when there is none. */
  find(id: bigint, root: string): string {
    const key = `${id}|${root}`;
    const hit = this.cache.get(key);
    if (hit !== undefined && inode(hit === '/' ? root : join(root, hit)) === id) return hit;
    if (inode(root) === id) return this.remember(key, '/');
    const stack = [root];
    while (stack.length > 0) {
      const dir = stack.pop()!;
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        const p = join(dir, e.name);
        if (inode(p) === id) return this.remember(key, p.slice(root.length));
        stack.push(p);
      }
    }
    return '';
  }

  private remember(key: string, path: string): string {
    this.cache.set(key, path);
    return path;
  }
}

function inode(p: string): bigint | undefined {
  try {
    return statSync(p, { bigint: true }).ino;
  } catch {
    return undefined;
  }
}
