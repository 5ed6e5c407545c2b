// Programs loaded in the kernel by anyone (ids, names, run-time statistics): for benchmarks that
// compare sonde's in-kernel cost with another tracer's, and for leak checks.
import { Mem, bpfTry, BpfCmd, objGetInfoByFd, close, getNextId } from '../sys/index.js';

export interface LoadedProgram {
  id: number;
  name: string;
  type: number;
  runTimeNs: bigint;
  runCnt: bigint;
}

export function listProgramIds(): number[] {
  const ids: number[] = [];
  for (let id = getNextId(BpfCmd.PROG_GET_NEXT_ID, 0); id > 0; id = getNextId(BpfCmd.PROG_GET_NEXT_ID, id)) ids.push(id);
  return ids;
}

/** Info of a program by id, or undefined if it went away meanwhile. */
export function programById(id: number): LoadedProgram | undefined {
  const m = new Mem(16);
  m.view.setUint32(0, id, true);
  const fd = bpfTry(BpfCmd.PROG_GET_FD_BY_ID, m, 16);
  if (fd < 0) return undefined;
  try {
    const info = new Mem(232);
    objGetInfoByFd(fd, info);
    const v = info.view;
    const nameBytes = info.bytes.subarray(64, 80);
    const end = nameBytes.indexOf(0);
    return {
      id,
      type: v.getUint32(0, true),
      name: Buffer.from(nameBytes.subarray(0, end < 0 ? 16 : end)).toString(),
      runTimeNs: v.getBigUint64(192, true),
      runCnt: v.getBigUint64(200, true),
    };
  } finally {
    close(fd);
  }
}
