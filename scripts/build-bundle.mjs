// Second step of `npm run build` (after tsc): bundles the CLI into one CommonJS file,
// dist/sonde.cjs, and writes dist/sonde.cache, V8's code cache for it, so that bin/sonde neither
// loads ~150 modules nor compiles the bundle's JavaScript at every start.
//
// Why CommonJS: bin/sonde runs the bundle through vm.Script, the only way Node 20 takes a code
// cache (cachedData); vm.Script runs scripts, not ES modules. The CLI's `await import('./x.js')`
// calls become plain function calls in the bundle (esbuild inlines them), so nothing needs ESM.
//
// What the cache holds: V8 compiles a function when it is first called, and a cache has only the
// functions compiled so far. Compiled as usual, that is little more than the top level; after a
// warm-up that compiles a few scripts, the compiler, but none of the runtime, which needs a kernel
// to run (that leaves ~140 functions for every run to compile, ~5 ms). So the build compiles the
// whole bundle eagerly (V8's --no-lazy, only around this one compilation): every function is in
// the cache, nothing of sonde runs at build time, and the cache covers every command alike.
// (Measured, `BEGIN { exit(); }`: ~2 ms less CPU than the warm-up's cache, though twice the size.)
//
// Stale code never runs: the bundle's last line names its build (a hash of its text) and the cache
// starts with the same name; bin/sonde passes the cache to V8 only when the two agree (V8's own
// check compares only the source's length). V8 rejects a cache made by another V8 version or with
// other flags; bin/sonde then runs the bundle compiled from source.
import { createHash } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
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

/** Node's CommonJS function wrapper: bin/sonde compiles exactly this text. */
export function wrapBundle(source) {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}

/** V8's code cache for the bundle, every function compiled. */
export function codeCache(file, source) {
  // V8 keys a cache to its flags: --lazy is back on before the cache is made, so it matches a
  // default run (the start-up test checks that bin/sonde's V8 accepts it).
  setFlagsFromString('--no-lazy');
  let script;
  try {
    script = new Script(wrapBundle(source), { filename: file });
  } finally {
    setFlagsFromString('--lazy');
  }
  return script.createCachedData();
}

/**
 * esbuild plugin: built-in modules that cost start-up time but serve only some runs are required on
 * first use. node:child_process (-c and system()) takes ~4 ms to load (it pulls in net, streams,
 * dgram). Each of its functions becomes a stub that loads the module and calls the real one.
 */
const LAZY_BUILTINS = ['node:child_process'];
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(${LAZY_BUILTINS.join('|')})$`);
    // The stub module's own require of the built-in stays a require.
    b.onResolve({ filter }, (a) => (a.namespace === 'lazy' ? { path: a.path, external: true } : { path: a.path, namespace: 'lazy' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, async (a) => {
      const real = await import(a.path);
      const names = Object.keys(real).filter((k) => k !== 'default' && typeof real[k] === 'function');
      const load = `let m;\nconst load = () => (m ??= require(${JSON.stringify(a.path)}));\n`;
      const stubs = names.map((n) => `export function ${n}(...args) { return new.target ? Reflect.construct(load().${n}, args, new.target) : load().${n}.apply(this, args); }\n`);
      return { contents: load + stubs.join(''), loader: 'js' };
    });
  },
};

async function build(root) {
  const { build: esbuild } = await import('esbuild');
  const out = join(root, 'dist/sonde.cjs');
  const cacheFile = join(root, 'dist/sonde.cache');
  const r = await esbuild({
    entryPoints: [join(root, 'dist/src/cli/main.js')],
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['koffi'], plugins: [lazyBuiltins],
    // Minified (names kept, for stack traces): a smaller file to read and hash, and no comment
    // with a non-ASCII character, which would make the source a two-byte string (slower to read).
    minifyWhitespace: true, minifySyntax: true,
    write: false, outfile: out, logLevel: 'warning',
  });
  const { id, source } = stampBundle(r.outputFiles[0].text);
  // The cache of an earlier bundle goes first: a half-finished build leaves no mismatched pair.
  rmSync(cacheFile, { force: true });
  rmSync(join(root, 'dist/sonde.mjs'), { force: true }); // the ESM bundle of earlier builds
  writeFileSync(out, source);
  writeFileSync(`${cacheFile}.tmp`, Buffer.concat([Buffer.from(`${CACHE_MAGIC}${id}\n`, 'latin1'), codeCache(out, source)]));
  renameSync(`${cacheFile}.tmp`, cacheFile);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await build(join(dirname(fileURLToPath(import.meta.url)), '..'));
}
