// A tracing session owns every kernel object it created (maps, programs, links) and releases all
// of them on every exit path: normal end, exit(), Ctrl-C, SIGTERM, or a crash.
import type { BpfMap } from '../bpf/map.js';
import type { Program } from '../bpf/program.js';
import { detach, detachAll, type Link } from '../attach/link.js';

export class Session {
  readonly maps: BpfMap[] = [];
  readonly programs: Program[] = [];
  readonly links: Link[] = [];
  private closing: Promise<void> | null = null;
  private readonly onSignal: () => void;
  private readonly onCrash: (e: unknown) => void;
  /** Resolves when a signal asked us to stop. */
  readonly stopped: Promise<string>;
  private resolveStop!: (why: string) => void;

  private keepAlive: NodeJS.Timeout | undefined;

  constructor() {
    // Signal handlers do not keep Node running; this does, until close().
    this.keepAlive = setInterval(() => {}, 1 << 30);
    this.stopped = new Promise((r) => (this.resolveStop = r));
    this.onSignal = () => this.resolveStop('signal');
    this.onCrash = (e) => {
      // Leave nothing attached even when sonde itself fails; then fail loudly.
      process.stderr.write(`sonde: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
      this.close().finally(() => process.exit(1));
    };
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    process.on('uncaughtException', this.onCrash);
    process.on('unhandledRejection', this.onCrash);
  }

  map(m: BpfMap): BpfMap {
    this.maps.push(m);
    return m;
  }

  program(p: Program): Program {
    this.programs.push(p);
    return p;
  }

  link(l: Link | Link[]): void {
    if (Array.isArray(l)) this.links.push(...l);
    else this.links.push(l);
  }

  /** Detaches some of its links before the end (unwatch()): they are no longer the session's. */
  detach(links: readonly Link[]): void {
    const gone = new Set(links);
    const keep = this.links.filter((l) => !gone.has(l));
    this.links.splice(0, this.links.length, ...keep);
    for (const l of links) detach(l);
  }

  /** Asks the session to stop as if a signal had arrived (exit(), -d timeouts, child exit). */
  stop(why: string): void {
    this.resolveStop(why);
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        clearInterval(this.keepAlive);
        process.off('SIGINT', this.onSignal);
        process.off('SIGTERM', this.onSignal);
        process.off('uncaughtException', this.onCrash);
        process.off('unhandledRejection', this.onCrash);
        await detachAll(this.links.splice(0));
        for (const p of this.programs.splice(0)) p.close();
        for (const m of this.maps.splice(0)) m.close();
      })();
    }
    return this.closing;
  }
}
