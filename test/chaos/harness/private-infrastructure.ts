/**
 * Postgres, NATS and Redis of the chaos stack's own, on free ports in a temp folder, so faults
 * (kill, restart, stop) never touch the machine's shared servers that other suites use.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePortRange, portFree, waitFor } from '@pneumatic/testkit';
import { NatsCluster } from './nats-cluster';

const run = promisify(execFile);
/** The newest installed PostgreSQL's binaries (Debian keeps one folder per major version). */
const pgBin = path.join(
  '/usr/lib/postgresql',
  readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))[0] ?? '15',
  'bin',
);
const natsServer = '/usr/sbin/nats-server';

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

/** As root, Postgres's tools must run as the `postgres` user; otherwise as ourselves. */
const asPostgres = (bin: string, args: string[]) =>
  process.getuid?.() === 0 ? run('runuser', ['-u', 'postgres', '--', path.join(pgBin, bin), ...args]) : run(path.join(pgBin, bin), args);

export class PrivateInfrastructure {
  private nats?: ChildProcess;
  private redis?: ChildProcess;
  /** Set when started with `natsCluster`: three servers instead of the one on `natsPort`. */
  natsCluster?: NatsCluster;

  private constructor(
    readonly dir: string,
    readonly postgresPort: number,
    readonly natsPort: number,
    readonly redisPort: number,
  ) {}

  get databaseUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.postgresPort}/pneumatic`;
  }
  get natsUrl(): string {
    return this.natsCluster?.url ?? `nats://127.0.0.1:${this.natsPort}`;
  }
  get redisUrl(): string {
    return `redis://127.0.0.1:${this.redisPort}`;
  }
  private get pgData(): string {
    return path.join(this.dir, 'pg');
  }

  /** With `natsCluster`, NATS is a three-node JetStream cluster (nats-cluster.ts) instead of one server. */
  static async start({ natsCluster = false } = {}): Promise<PrivateInfrastructure> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pneumatic-chaos-'));
    chmodSync(dir, 0o755);
    const [pg, nats, redis] = [await freePortRange(1), await freePortRange(1), await freePortRange(1)];
    const infra = new PrivateInfrastructure(dir, pg, nats, redis);
    await infra.initPostgres();
    await Promise.all([infra.startPostgres(), natsCluster ? infra.startNatsCluster() : infra.startNats(), infra.startRedis()]);
    return infra;
  }

  private async initPostgres(): Promise<void> {
    mkdirSync(this.pgData, { mode: 0o700 });
    if (process.getuid?.() === 0) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const uid = Number(stdout.trim());
      chownSync(this.pgData, uid, uid);
    }
    await asPostgres('initdb', ['-D', this.pgData, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  }

  async startPostgres(): Promise<void> {
    // fsync off: the faults here kill processes, not the machine, and the disk is shared.
    const options = `-p ${this.postgresPort} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.pgData} -c fsync=off -c max_connections=200`;
    await asPostgres('pg_ctl', ['-D', this.pgData, '-l', path.join(this.pgData, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
  }

  async stopPostgres(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await asPostgres('pg_ctl', ['-D', this.pgData, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  async startNats(): Promise<void> {
    this.nats = await this.spawnServer(natsServer, ['-a', '127.0.0.1', '-p', String(this.natsPort), '-js', '-sd', path.join(this.dir, 'nats')], this.natsPort);
  }

  private async startNatsCluster(): Promise<void> {
    const [client, route, monitor] = [await freePortRange(3), await freePortRange(3), await freePortRange(3)];
    this.natsCluster = await NatsCluster.start(this.dir, { client, route, monitor });
  }

  async startRedis(): Promise<void> {
    this.redis = await this.spawnServer(
      'redis-server',
      ['--bind', '127.0.0.1', '--port', String(this.redisPort), '--save', '', '--appendonly', 'no', '--dir', this.dir],
      this.redisPort,
    );
  }

  /** A crash and a restart on the same port (NATS keeps its JetStream store folder). */
  async restartNats(): Promise<void> {
    await this.kill(this.nats, this.natsPort);
    await this.startNats();
  }

  async restartRedis(): Promise<void> {
    await this.kill(this.redis, this.redisPort);
    await this.startRedis();
  }

  async stop(): Promise<void> {
    await Promise.all([
      this.kill(this.nats, this.natsPort),
      this.natsCluster?.stop(),
      this.kill(this.redis, this.redisPort),
      this.stopPostgres('immediate').catch(() => undefined),
    ]);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async spawnServer(command: string, args: string[], port: number): Promise<ChildProcess> {
    const child = spawn(command, args, { stdio: 'ignore' });
    await waitFor(`${path.basename(command)} on :${port}`, async () => {
      if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}`);
      return portAnswers(port);
    }, 20_000, 50);
    return child;
  }

  private async kill(child: ChildProcess | undefined, port: number): Promise<void> {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    await waitFor(`:${port} to be released`, () => portFree(port), 10_000, 50);
  }
}
