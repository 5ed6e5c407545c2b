import { lib, errno } from './libc.js';
import { SysError } from './errors.js';

export function mount(source: string, target: string, fstype: string): void {
  const r = lib().mount(source, target, fstype, 0, null) as number;
  if (r < 0) throw new SysError(`mount(${fstype} on ${target})`, errno());
}
