// A real redis-server (Debian's package) for the queue tests: loopback only, a random free port,
// its own data directory, optionally with the append-only file on, a password, ACL users, or TLS
// (Debian builds redis-server with TLS; the certificates are made here with openssl); stopped by
// the test.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { connect as tlsConnect } from "node:tls";
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

/** Sends PING over a plain socket (or TLS, trusting `ca`); resolves true on +PONG. */
export function ping(port: number, ca?: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = ca ? tlsConnect({ host: "127.0.0.1", port, ca, servername: "localhost" }) : createConnection({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once("error", () => done(false));
    sock.once(ca ? "secureConnect" : "connect", () => sock.write("PING\r\n"));
    // Without the password the server answers -NOAUTH: it is up all the same.
    sock.once("data", (d) => done(/^(\+PONG|-NOAUTH)/.test(d.toString())));
  });
}

export interface RedisOptions {
  /** Append-only file on (fsync on every write). */
  appendonly?: boolean;
  /** `requirepass`: the default user's password. */
  password?: string;
  /** ACL users with every permission (the default user is then switched off). */
  users?: { name: string; password: string }[];
  /** TLS only (no plain port), with a certificate for 127.0.0.1 / localhost signed by a CA made for the server (`caFile`). */
  tls?: boolean;
}

/**
 * A CA and a server certificate for 127.0.0.1 and localhost signed by it, made with openssl in
 * `dir` (ca.crt, server.crt, server.key). Throws when openssl is missing.
 */
export function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const f = (n: string) => path.join(dir, n);
  const ossl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  ossl("req", "-x509", ...ec, "-keyout", f("ca.key"), "-out", f("ca.crt"), "-days", "2", "-subj", "/CN=dendritic test CA");
  ossl("req", ...ec, "-keyout", f("server.key"), "-out", f("server.csr"), "-subj", "/CN=localhost");
  writeFileSync(f("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  ossl(
    "x509",
    "-req",
    "-in",
    f("server.csr"),
    "-CA",
    f("ca.crt"),
    "-CAkey",
    f("ca.key"),
    "-CAcreateserial",
    "-out",
    f("server.crt"),
    "-days",
    "2",
    "-extfile",
    f("ext.cnf"),
  );
  return { ca: f("ca.crt"), cert: f("server.crt"), key: f("server.key") };
}

export class RedisServer {
  readonly dir: string;
  proc?: ChildProcess;
  /** With tls: the CA certificate that signed the server's (for NODE_EXTRA_CA_CERTS). */
  readonly caFile?: string;
  private readonly certs?: { ca: string; cert: string; key: string };
  private constructor(
    readonly port: number,
    readonly opts: RedisOptions,
  ) {
    this.dir = mkdtempSync(path.join(tmpdir(), "dendritic-redis-"));
    if (opts.tls) {
      this.certs = makeCertificates(this.dir);
      this.caFile = this.certs.ca;
    }
  }

  static async start(opts: RedisOptions = {}): Promise<RedisServer> {
    const r = new RedisServer(await freePort(), opts);
    await r.launch();
    return r;
  }

  get appendonly(): boolean {
    return this.opts.appendonly ?? false;
  }

  /** redis://127.0.0.1:PORT (rediss:// with tls), without credentials. */
  get url(): string {
    return `${this.opts.tls ? "rediss" : "redis"}://127.0.0.1:${this.port}`;
  }

  /** Starts (or restarts) the server on the same port and data directory. */
  async launch(): Promise<void> {
    const o = this.opts;
    const port = o.tls ? ["--port", "0", "--tls-port", String(this.port)] : ["--port", String(this.port)];
    const args = [...port, "--bind", "127.0.0.1", "--dir", this.dir, "--save", "", "--protected-mode", "yes", "--daemonize", "no"];
    // appendfsync always: every acknowledged write is on disk before the restart.
    if (o.appendonly) args.push("--appendonly", "yes", "--appendfsync", "always");
    else args.push("--appendonly", "no");
    if (o.password) args.push("--requirepass", o.password);
    for (const u of o.users ?? []) args.push("--user", u.name, "on", `>${u.password}`, "~*", "&*", "+@all");
    if (o.users?.length) args.push("--user", "default", "off");
    if (this.certs)
      args.push("--tls-cert-file", this.certs.cert, "--tls-key-file", this.certs.key, "--tls-ca-cert-file", this.certs.ca, "--tls-auth-clients", "no");
    this.proc = spawn("redis-server", args, { stdio: "ignore" });
    const ca = this.certs ? readFileSync(this.certs.ca) : undefined;
    const t0 = Date.now();
    while (!(await ping(this.port, ca))) {
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
