// Shared helpers for tests that need the real kernel.
import { readdirSync } from 'node:fs';

export const isRoot = process.getuid?.() === 0;

/** Options for node:test: kernel tests need root; without it they are skipped, saying so. */
export const needsRoot = isRoot ? {} : { skip: 'needs root (CI runs as root)' };

export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}
