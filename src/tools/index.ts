// The classic tools (bcc's interface) on top of sonde's language: `sonde <tool> [options]`.
import type { Tool, ToolIo } from './tool.js';
import { ToolUsageError, stdio } from './tool.js';
import { opensnoopTool } from './opensnoop.js';
import { killsnoopTool } from './killsnoop.js';
import { syscountTool } from './syscount.js';
import { execsnoopTool } from './execsnoop.js';
import { tcpconnectTool } from './tcpconnect.js';
import { tcplifeTool } from './tcplife.js';
import { mysqldQslowerTool } from './mysqld_qslower.js';
import { vfsstatTool } from './vfsstat.js';
import { biolatencyTool } from './biolatency.js';
import { biosnoopTool } from './biosnoop.js';
import { runqlatTool } from './runqlat.js';
import { profileTool } from './profile.js';
import { offcputimeTool } from './offcputime.js';
import { gethostlatencyTool } from './gethostlatency.js';
import { ext4slowerTool, fsslowerTool } from './fsslower.js';
import { funccountTool } from './funccount.js';
import { funclatencyTool } from './funclatency.js';
import { traceTool } from './trace.js';
import { argdistTool } from './argdist.js';

export const TOOLS: readonly Tool[] = [
  opensnoopTool,
  killsnoopTool,
  syscountTool,
  execsnoopTool,
  tcpconnectTool,
  tcplifeTool,
  mysqldQslowerTool,
  vfsstatTool,
  biolatencyTool,
  biosnoopTool,
  runqlatTool,
  profileTool,
  offcputimeTool,
  gethostlatencyTool,
  ext4slowerTool,
  fsslowerTool,
  funccountTool,
  funclatencyTool,
  traceTool,
  argdistTool,
];

export function findTool(name: string): Tool | undefined {
  return TOOLS.find((t) => t.name === name);
}

export function toolsList(): string {
  const w = Math.max(...TOOLS.map((t) => t.name.length)) + 2;
  return `sonde's tools (sonde <tool> -h for each; man sonde-<tool>):\n${TOOLS.map((t) => `  ${t.name.padEnd(w)}${t.summary}`).join('\n')}\n`;
}

/** Runs a tool: usage errors exit 2 with the message, as argparse does. */
export async function runTool(tool: Tool, argv: string[], io: ToolIo = stdio): Promise<number> {
  try {
    return await tool.run(argv, io);
  } catch (e) {
    if (e instanceof ToolUsageError) {
      io.err(`sonde ${tool.name}: error: ${e.message}\n(sonde ${tool.name} -h for help)\n`);
      return 2;
    }
    throw e;
  }
}
