/**
 * Symbolization for printing: kernel addresses from kallsyms (kernel.ts), user addresses per
 * process with kept memory maps, separate debug files, JIT perf maps and C++ demangling
 * (user.ts, debug-file.ts, perf-map.ts, demangle.ts). Text follows bpftrace 0.17 (text.ts).
 */
export { demangle } from './demangle.js';
export { PerfMap, PerfMapFile, perfMapPath, type PerfMapSymbol } from './perf-map.js';
export { buildIdDebugPath, crc32, debugLinkCandidates, findDebugFile, DEBUG_ROOT } from './debug-file.js';
export { UserSymbols, type UserLookup, type UserSymbol, type UserSymbolsOptions } from './user.js';
export { KernelSymbols, kernelSymbols, kernelSymbolText } from './kernel.js';
export { userSymbolText } from './text.js';
