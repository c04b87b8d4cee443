// A real redis-server (Debian's package) for the queue tests: loopback only, a random free port,
// its own data directory, optionally with the append-only file on; stopped by the test.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Sends PING over a plain socket; resolves true on +PONG. */
export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once("error", () => done(false));
    sock.once("connect", () => sock.write("PING\r\n"));
    // Without the password the server answers -NOAUTH: it is up all the same.
    sock.once("data", (d) => done(/^(\+PONG|-NOAUTH)/.test(d.toString())));
  });
}

export class RedisServer {
  readonly dir: string;
  proc?: ChildProcess;
  private constructor(
    readonly port: number,
    readonly appendonly: boolean,
    readonly password?: string,
  ) {
    this.dir = mkdtempSync(path.join(tmpdir(), "dendritic-redis-"));
  }

  static async start(opts: { appendonly?: boolean; password?: string } = {}): Promise<RedisServer> {
    const r = new RedisServer(await freePort(), opts.appendonly ?? false, opts.password);
    await r.launch();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts (or restarts) the server on the same port and data directory. */
  async launch(): Promise<void> {
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--dir", this.dir, "--save", "", "--protected-mode", "yes", "--daemonize", "no"];
    // appendfsync always: every acknowledged write is on disk before the restart.
    if (this.appendonly) args.push("--appendonly", "yes", "--appendfsync", "always");
    else args.push("--appendonly", "no");
    if (this.password) args.push("--requirepass", this.password);
    this.proc = spawn("redis-server", args, { stdio: "ignore" });
    const t0 = Date.now();
    while (!(await ping(this.port))) {
      if (this.proc.exitCode !== null) throw new Error(`redis-server exited with code ${this.proc.exitCode}`);
      if (Date.now() - t0 > 10_000) throw new Error("redis-server did not answer PING within 10 s");
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM (Redis flushes the append-only file and exits) and wait for the exit. */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once("exit", () => resolve());
      p.kill("SIGTERM");
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
