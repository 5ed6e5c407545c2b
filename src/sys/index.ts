// The syscall layer: the only code in sonde that uses FFI.
export { SysError, UnsupportedError } from './errors.js';
export { Errno, errnoName, errnoSentence } from './errno.js';
export { Mem, addressOf, close, closeMany, check, errno } from './libc.js';
export * from './bpf.js';
export * from './perf.js';
export { mmap, Mapping, Prot, getPageSize } from './mmap.js';
export { Poller } from './poll.js';
export { mount } from './mount.js';
export { clockNs, bootWallClockNs, CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_REALTIME } from './clock.js';
