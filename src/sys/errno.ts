// Linux errno numbers (x86_64/arm64 generic values) and their symbolic names.
export const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 6: 'ENXIO', 7: 'E2BIG', 8: 'ENOEXEC',
  9: 'EBADF', 10: 'ECHILD', 11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT', 16: 'EBUSY',
  17: 'EEXIST', 18: 'EXDEV', 19: 'ENODEV', 20: 'ENOTDIR', 21: 'EISDIR', 22: 'EINVAL', 23: 'ENFILE',
  24: 'EMFILE', 25: 'ENOTTY', 26: 'ETXTBSY', 27: 'EFBIG', 28: 'ENOSPC', 29: 'ESPIPE', 30: 'EROFS',
  32: 'EPIPE', 34: 'ERANGE', 35: 'EDEADLK', 36: 'ENAMETOOLONG', 38: 'ENOSYS', 39: 'ENOTEMPTY',
  40: 'ELOOP', 61: 'ENODATA', 75: 'EOVERFLOW', 95: 'EOPNOTSUPP', 110: 'ETIMEDOUT',
  524: 'ENOTSUPP',
};

export const Errno = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, E2BIG: 7, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EACCES: 13,
  EFAULT: 14, EBUSY: 16, EEXIST: 17, ENODEV: 19, EINVAL: 22, EMFILE: 24, ENOTTY: 25, ENOSPC: 28,
  ENOSYS: 38, EOPNOTSUPP: 95, ENOTSUPP: 524,
} as const;

export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

/** A plain sentence for what an errno usually means when the kernel returns it to a tracer. */
export function errnoSentence(errno: number): string {
  switch (errno) {
    case Errno.EPERM:
    case Errno.EACCES:
      return 'permission denied: needs root, or CAP_BPF and CAP_PERFMON';
    case Errno.ENOENT: return 'no such object';
    case Errno.ESRCH: return 'no such process';
    case Errno.E2BIG: return 'argument too large for this kernel (or a field this kernel does not know is set)';
    case Errno.EBADF: return 'bad file descriptor';
    case Errno.EAGAIN: return 'resource temporarily unavailable';
    case Errno.ENOMEM: return 'out of memory (or locked-memory limit reached)';
    case Errno.EFAULT: return 'bad address passed to the kernel';
    case Errno.EBUSY: return 'device or resource busy';
    case Errno.EEXIST: return 'already exists';
    case Errno.ENODEV: return 'no such device (this kernel lacks the feature)';
    case Errno.EINVAL: return 'invalid argument (the kernel rejected a parameter)';
    case Errno.EMFILE: return 'too many open files';
    case Errno.ENOSPC: return 'no space left (buffer too small)';
    case Errno.ENOSYS: return 'the bpf() system call is not available on this kernel';
    case Errno.EOPNOTSUPP:
    case Errno.ENOTSUPP: return 'operation not supported by this kernel';
    default: return `system error ${errnoName(errno)}`;
  }
}
