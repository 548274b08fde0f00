/**
 * Runs nodes as their own OS processes (Node's child_process): each child runs a Hardhat task exactly as an
 * operator would (`hardhat worker --network localhost --account 4 ...`), its output goes line by line to its own
 * log file and, prefixed with its name (`[worker-1] ...`), to the console. A child that dies (a crash, `kill -9`)
 * affects no other; the supervisor restarts it after a delay when asked to, and the node catches up from its
 * persisted cursor and job file. `stop` sends SIGINT (the tasks finish their jobs and persist), waits, and only
 * then kills what is left.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { createInterface } from "node:readline";

export interface NodeProcessSpec {
  /** Log prefix and file name, e.g. "worker-1". */
  name: string;
  /** Hardhat CLI arguments, e.g. ["worker", "--network", "localhost", "--account", "4"]. */
  args: string[];
  env?: Record<string, string>;
}

export interface SupervisorOptions {
  /** Project root (the children run Hardhat there). */
  root: string;
  /** One `<name>.log` per node here. */
  logDir: string;
  /** Where prefixed lines go (default: stdout). */
  print?: (line: string) => void;
  /** Restart a child that exited on its own after this many ms (default: no restart). */
  restartDelayMs?: number;
  /** How long `stop` waits after SIGINT before SIGKILL. Default 30 s. */
  stopTimeoutMs?: number;
  env?: Record<string, string>;
}

const require = createRequire(import.meta.url);

/** Children still running: killed if the supervisor exits without stopping them (they run in their own group). */
const LIVE = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of LIVE) child.kill("SIGKILL");
});

/** The Hardhat CLI script, run with this process's Node binary (Hardhat needs Node 22; the shebang may find 20). */
export function hardhatCli(): string {
  const pkg = require.resolve("hardhat/package.json");
  const bin = (require(pkg) as { bin: { hardhat: string } }).bin.hardhat;
  return path.join(path.dirname(pkg), bin);
}

export class NodeProcess {
  readonly spec: NodeProcessSpec;
  readonly #options: SupervisorOptions;
  #child: ChildProcess | null = null;
  #log: WriteStream | null = null;
  #exited: Promise<void> = Promise.resolve();
  #stopping = false;
  #restartTimer: NodeJS.Timeout | null = null;
  /** How many times the child was started. */
  starts = 0;
  /** Exit code or signal of the last exit. */
  lastExit: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  constructor(spec: NodeProcessSpec, options: SupervisorOptions) {
    this.spec = spec;
    this.#options = options;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  async start(): Promise<void> {
    if (this.#child !== null) return;
    this.#stopping = false;
    await mkdir(this.#options.logDir, { recursive: true });
    this.#log ??= createWriteStream(path.join(this.#options.logDir, `${this.spec.name}.log`), { flags: "a" });
    const child = spawn(process.execPath, [hardhatCli(), ...this.spec.args], {
      cwd: this.#options.root,
      env: { ...process.env, ...this.#options.env, ...this.spec.env, FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group: a Ctrl-C in the terminal reaches the supervisor only, which then stops each node
      // once (a second SIGINT makes a node task exit at once, without draining).
      detached: true,
    });
    LIVE.add(child);
    this.starts += 1;
    this.#child = child;
    this.#line(`started (pid ${child.pid}): hardhat ${this.spec.args.join(" ")}`);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => this.#line(line));
    }
    this.#exited = new Promise<void>((resolve) => {
      child.once("exit", (code, signal) => {
        LIVE.delete(child);
        this.#child = null;
        this.lastExit = { code, signal };
        this.#line(`exited (${signal ?? `code ${code}`})`);
        resolve();
        const delay = this.#options.restartDelayMs;
        if (!this.#stopping && delay !== undefined) {
          this.#line(`restarting in ${delay} ms`);
          this.#restartTimer = setTimeout(() => {
            this.#restartTimer = null;
            if (!this.#stopping) void this.start();
          }, delay);
        }
      });
    });
  }

  /** Sends `signal` to the child (tests use SIGKILL to simulate a crash). */
  kill(signal: NodeJS.Signals): void {
    this.#child?.kill(signal);
  }

  /** Resolves when the current child has exited. */
  exited(): Promise<void> {
    return this.#exited;
  }

  /** SIGINT, wait for a clean exit (the node drains its jobs), SIGKILL after the timeout; no restart. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (child !== null) {
      child.kill("SIGINT");
      const timeout = this.#options.stopTimeoutMs ?? 30_000;
      const timer = setTimeout(() => {
        this.#line(`still running ${timeout} ms after SIGINT: SIGKILL`);
        child.kill("SIGKILL");
      }, timeout);
      await this.#exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => (this.#log === null ? resolve() : this.#log.end(resolve)));
    this.#log = null;
  }

  #line(line: string): void {
    this.#log?.write(line + "\n");
    (this.#options.print ?? ((l: string) => process.stdout.write(l + "\n")))(`[${this.spec.name}] ${line}`);
  }
}

/** A set of node processes started and stopped together. */
export class ProcessGroup {
  readonly nodes: NodeProcess[];

  constructor(specs: readonly NodeProcessSpec[], options: SupervisorOptions) {
    this.nodes = specs.map((spec) => new NodeProcess(spec, options));
  }

  node(name: string): NodeProcess {
    const found = this.nodes.find((n) => n.spec.name === name);
    if (found === undefined) throw new Error(`no node process named ${name}`);
    return found;
  }

  async start(): Promise<void> {
    for (const node of this.nodes) await node.start();
  }

  /** Stops every node at once (SIGINT to each, then wait for all). */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }
}
