// Prints the kernel's translated (post-verifier) instructions of loaded BPF programs, like
// `bpftool prog dump xlated`, which this machine does not have: to compare what sonde and
// another tracer (bpftrace) actually run. Programs by id, or every program whose name matches.
// Usage: node dist/bench/xlated.js ID... | --name=REGEX   (root)
import { Mem, bpfTry, BpfCmd, objGetInfoByFd, close } from '../src/sys/index.js';
import { listProgramIds, programById } from '../src/bpf/inspect.js';
import { disassemble } from '../src/asm/disasm.js';

function xlated(id: number): Uint8Array | undefined {
  const m = new Mem(16);
  m.view.setUint32(0, id, true);
  const fd = bpfTry(BpfCmd.PROG_GET_FD_BY_ID, m, 16);
  if (fd < 0) return undefined;
  try {
    const info = new Mem(232);
    objGetInfoByFd(fd, info);
    const len = info.view.getUint32(20, true);
    const buf = new Mem(len);
    const req = new Mem(232);
    req.view.setUint32(20, len, true);
    req.view.setBigUint64(32, buf.addr, true);
    objGetInfoByFd(fd, req);
    return buf.bytes.slice();
  } finally {
    close(fd);
  }
}

const nameArg = process.argv.find((a) => a.startsWith('--name='))?.slice(7);
const ids = nameArg
  ? listProgramIds().filter((id) => new RegExp(nameArg).test(programById(id)?.name ?? ''))
  : process.argv.slice(2).map(Number);
for (const id of ids) {
  const p = programById(id);
  const bytes = xlated(id);
  if (!p || !bytes) continue;
  console.log(`prog ${id} ${p.name} (type ${p.type}), ${bytes.length / 8} xlated slots`);
  process.stdout.write(disassemble(bytes));
}
