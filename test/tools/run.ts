// Runs a tool in-process, as `sonde <tool> ARGS` would, around a workload started once attached.
import { runTool, findTool } from '../../src/tools/index.js';

export interface ToolRun {
  code: number;
  out: string;
  err: string;
  lines: string[];
}

export async function runToolAround(name: string, argv: string[], workload: () => Promise<unknown> = async () => {}, settleMs = 300): Promise<ToolRun> {
  const tool = findTool(name);
  if (!tool) throw new Error(`no tool ${name}`);
  let out = '';
  let err = '';
  let failure: unknown;
  const code = await runTool(tool, argv, {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    started: (stop) => {
      void (async () => {
        try {
          await workload();
        } catch (e) {
          failure = e;
        }
        await new Promise((r) => setTimeout(r, settleMs));
        await stop();
      })();
    },
  });
  if (failure) throw failure;
  return { code, out, err, lines: out.split('\n').filter((x) => x !== '') };
}

/** A tool's -h: text on stdout, exit status. */
export async function toolHelp(name: string): Promise<ToolRun> {
  return runToolAround(name, ['-h']);
}
