// Second step of `npm run build` (after tsc): bundles the CLI into one CommonJS file,
// dist/sonde.cjs, and writes dist/sonde.cache, a V8 code cache for it, so that bin/sonde neither
// loads ~150 modules nor compiles 650 KB of JavaScript at every start.
//
// Why CommonJS: bin/sonde runs the bundle through vm.Script, the only way Node 20 takes a code
// cache (cachedData); vm.Script runs scripts, not ES modules. The CLI's `await import('./x.js')`
// calls become plain function calls in the bundle (esbuild inlines them), so nothing needs ESM.
//
// The cache holds the bytecode of every function that ran before it was made, so it is made after
// a warm-up that compiles a few typical scripts against a fake kernel (the compiler is pure: no
// kernel, no root, no koffi). Whatever the warm-up does not reach is compiled lazily as usual.
//
// Stale code never runs: the bundle's last line names its build (a hash of its text) and the cache
// starts with the same name; bin/sonde passes the cache to V8 only when the two agree. V8 itself
// rejects a cache made by another V8 version or with other flags; then it compiles from source.
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

/** The last line of a bundle: `//# sonde-build <id>`. */
export const BUILD_MARK = '\n//# sonde-build ';
/** The first line of a cache file: `sonde-cache <id>`, then V8's cached data. */
export const CACHE_MAGIC = 'sonde-cache ';

/** Bundle text as written: esbuild's output and the line naming the build. */
export function stampBundle(text) {
  const id = createHash('sha256').update(text).digest('hex').slice(0, 24);
  return { id, source: `${text}${BUILD_MARK}${id}\n` };
}

/** The same function wrapper as Node's CommonJS loader: bin/sonde must compile exactly this. */
export function wrapBundle(source) {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}

/** Runs the bundle in this process, as bin/sonde does; its exports and the Script (for createCachedData). */
export function loadBundle(file, source) {
  const script = new Script(wrapBundle(source), { filename: file });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  return { exports: module.exports, script };
}

// Typical scripts, so their compile path is in the cache: probes, predicates, maps and
// aggregations, printf, str(), builtins, timers. Tracepoints come from FORMATS below.
export const WARM_UP = [
  'BEGIN { printf("hello %s %d\\n", "world", 42); exit(); }',
  'tracepoint:syscalls:sys_enter_openat { @[comm] = count(); printf("%d %s %s\\n", pid, comm, str(args->filename)); }',
  'tracepoint:syscalls:sys_enter_read /pid != 0/ { @bytes[comm] = hist(args->count); @sum = sum(args->count); @start[tid] = nsecs; }\n' +
    'tracepoint:syscalls:sys_exit_read /@start[tid]/ { @us = lhist((nsecs - @start[tid]) / 1000, 0, 100, 10); @max[comm] = max(args->ret); delete(@start[tid]); }\n' +
    'interval:s:1 { print(@sum); clear(@sum); } END { printf("%s\\n", "done"); }',
  'tracepoint:raw_syscalls:sys_enter { @[comm, args->id] = count(); } profile:hz:99 { @cpu[cpu] = count(); @k[kstack] = count(); }',
];

/** Tracepoint fields of a Linux 6.x x86-64 kernel, for the warm-up scripts: [decl, offset, size, signed]. */
const FORMATS = {
  'syscalls:sys_enter_openat': [['int __syscall_nr', 8, 4, 1], ['int dfd', 16, 8, 0], ['const char * filename', 24, 8, 0], ['int flags', 32, 8, 0], ['umode_t mode', 40, 8, 0]],
  'syscalls:sys_enter_read': [['int __syscall_nr', 8, 4, 1], ['unsigned int fd', 16, 8, 0], ['char * buf', 24, 8, 0], ['size_t count', 32, 8, 0]],
  'syscalls:sys_exit_read': [['int __syscall_nr', 8, 4, 1], ['long ret', 16, 8, 1]],
  'raw_syscalls:sys_enter': [['long id', 8, 8, 1], ['unsigned long args[6]', 16, 48, 0]],
};

/** A KernelView (src/lang/kernel-view.ts) of a kernel with the tracepoints above and no BTF. */
export const fakeKernel = {
  possibleCpus: 4,
  listTracepoints(categoryGlob, eventGlob) {
    const glob = (g) => new RegExp(`^${g.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    const c = glob(categoryGlob);
    const e = glob(eventGlob);
    return Object.keys(FORMATS).map((k) => k.split(':')).filter(([a, b]) => c.test(a) && e.test(b)).sort();
  },
  tracepointFields(category, event) {
    return FORMATS[`${category}:${event}`]?.map(([decl, offset, size, signed]) => {
      const m = /(\w+)(?:\[(\d+)\])?$/.exec(decl);
      return { decl, name: m[1], offset, size, signed: signed === 1, dataLoc: false, ...(m[2] ? { arrayLen: Number(m[2]) } : {}) };
    });
  },
  btf: () => undefined,
  syscallNumber: (name) => ({ read: 0, write: 1, openat: 257 })[name],
};

async function build(root) {
  const { build: esbuild } = await import('esbuild');
  const out = join(root, 'dist/sonde.cjs');
  const cacheFile = join(root, 'dist/sonde.cache');
  const r = await esbuild({
    stdin: {
      // warmUp is for this script only: a lazy import, so a normal run never initialises it.
      contents: "export * from './dist/src/cli/main.js';\nexport const warmUp = () => import('./dist/src/lang/compile.js');\n",
      resolveDir: root, sourcefile: 'sonde-bundle-entry.js', loader: 'js',
    },
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['koffi'],
    write: false, outfile: out, logLevel: 'warning',
  });
  const { id, source } = stampBundle(r.outputFiles[0].text);
  // The cache of an earlier bundle goes first: a half-finished build leaves no mismatched pair.
  rmSync(cacheFile, { force: true });
  rmSync(join(root, 'dist/sonde.mjs'), { force: true }); // the ESM bundle of earlier builds
  writeFileSync(out, source);

  const { exports, script } = loadBundle(out, source);
  const { compile } = await exports.warmUp();
  for (const [i, s] of WARM_UP.entries()) {
    try {
      compile(s, { kernel: fakeKernel, file: `warm-up-${i + 1}` });
    } catch (e) {
      // Not fatal (the cache only covers less), but say so: the warm-up list wants fixing.
      process.stderr.write(`scripts/build-bundle.mjs: warm-up script ${i + 1} does not compile: ${e instanceof Error ? e.message : e}\n`);
    }
  }
  const data = script.createCachedData();
  writeFileSync(`${cacheFile}.tmp`, Buffer.concat([Buffer.from(`${CACHE_MAGIC}${id}\n`, 'latin1'), data]));
  renameSync(`${cacheFile}.tmp`, cacheFile);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await build(join(dirname(fileURLToPath(import.meta.url)), '..'));
}
