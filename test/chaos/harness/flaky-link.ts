/**
 * A bad link in the kernel: a network namespace for the clients, joined to the root namespace by a
 * veth pair, with nftables rules on the namespace's end of the veth that drop a share of packets
 * at random in each direction (real loss: TCP retransmits) and drop everything to and from a
 * blackholed group's address (no FIN, no RST: the peers just stop hearing each other). Each group
 * of clients has its own address in the namespace, so one group can be blackholed alone.
 *
 * The rules live in the namespace, so deleting it removes them; `destroy` (also run on process
 * exit) deletes the namespace and the veth, and `create` first removes what a killed run left.
 */
import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { promisify } from 'node:util';
import { NftShell } from './nft-shell';

const run = promisify(execFile);
const prefix = 'pn-flaky-';
/** NFT_PATH as in scripts/ensure-test-binaries.sh. */
const nft = process.env.NFT_PATH ?? '/usr/sbin/nft';

/** The nft tool is not on every machine (the kernel part is): Debian's nftables, installed once as root. */
async function ensureNft(): Promise<void> {
  try {
    accessSync(nft, constants.X_OK);
  } catch {
    const install = () => run('apt-get', ['install', '-y', '-qq', 'nftables'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    await install().catch(async () => (await run('apt-get', ['update', '-qq']), install()));
  }
}

const directions = ['out', 'in'] as const;
const counterKinds = ['seen', 'blackholed', 'lost'] as const;
type Direction = (typeof directions)[number];
/** Packets the namespace sent (`out`) and received (`in`) on the veth, and what the rules dropped of them. */
export type LinkCounters = Record<Direction, Record<(typeof counterKinds)[number], number>>;

export interface FlakyLinkOptions {
  /** Groups of clients, each with its own address. */
  groups: number;
  /** Share of packets dropped at random, in each direction, in percent. */
  lossPercent: number;
}

/** Namespaces (and their host-side veths) of earlier runs whose process is gone. */
function leftovers(): string[] {
  const names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter((name) => name.startsWith(prefix));
  return names.filter((name) => {
    try {
      process.kill(Number(name.slice(prefix.length)), 0);
      return false;
    } catch {
      return true;
    }
  });
}

function removeNamespace(namespace: string, hostVeth: string): void {
  // The veth goes first: a namespace's devices are freed asynchronously after `netns del`.
  for (const args of [['link', 'del', hostVeth], ['netns', 'del', namespace]]) {
    try {
      execFileSync('ip', args, { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
}

export class FlakyLink {
  private readonly onExit = () => this.destroy();
  private shell: NftShell | undefined;

  private constructor(
    readonly namespace: string,
    private readonly hostVeth: string,
    private readonly subnet: number,
    readonly groups: number,
  ) {
    process.once('exit', this.onExit);
  }

  /** The root namespace's end of the veth: what the clients dial. */
  get hostAddress(): string {
    return `10.${this.subnet}.0.1`;
  }

  groupAddress(group: number): string {
    return `10.${this.subnet}.1.${group + 1}`;
  }

  /** Which group an address of the namespace belongs to (undefined for any other address). */
  groupOf(address: string): number | undefined {
    const match = new RegExp(`^(?:::ffff:)?10\\.${this.subnet}\\.1\\.(\\d+)$`).exec(address);
    return match ? Number(match[1]) - 1 : undefined;
  }

  /** The command prefix that runs a program inside the namespace. */
  get exec(): string[] {
    return ['ip', 'netns', 'exec', this.namespace];
  }

  static async create({ groups, lossPercent }: FlakyLinkOptions): Promise<FlakyLink> {
    await ensureNft();
    for (const stale of leftovers()) removeNamespace(stale, `pnf${stale.slice(prefix.length)}h`);
    const used = execFileSync('ip', ['-4', 'route'], { encoding: 'utf8' });
    const subnet = [...Array(60).keys()].map((i) => 64 + i).find((n) => !used.includes(`10.${n}.`));
    if (subnet === undefined) throw new Error('no free 10.x.0.0/16 for the flaky link');
    const link = new FlakyLink(`${prefix}${process.pid}`, `pnf${process.pid}h`, subnet, groups);
    try {
      await link.build(lossPercent);
    } catch (err) {
      link.destroy();
      throw err;
    }
    return link;
  }

  /** Drops every packet to and from the group's address, from now until `restore`. */
  async blackhole(group: number): Promise<void> {
    await this.changeSet('add', group);
  }

  async restore(group: number): Promise<void> {
    await this.changeSet('delete', group);
  }

  async counters(): Promise<LinkCounters> {
    const { stdout } = await run('ip', ['netns', 'exec', this.namespace, nft, '-j', 'list', 'counters', 'table', 'inet', 'flaky']);
    const listed = (JSON.parse(stdout) as { nftables: { counter?: { name: string; packets: number } }[] }).nftables.flatMap((o) => (o.counter ? [o.counter] : []));
    const packets = (name: string) => listed.find((c) => c.name === name)?.packets ?? 0;
    const of = (d: Direction) => ({ seen: packets(`${d}_seen`), blackholed: packets(`${d}_blackholed`), lost: packets(`${d}_lost`) });
    return { out: of('out'), in: of('in') };
  }

  destroy(): void {
    process.removeListener('exit', this.onExit);
    this.shell?.stop();
    removeNamespace(this.namespace, this.hostVeth);
  }

  private async build(lossPercent: number): Promise<void> {
    const inside = `pnf${process.pid}c`;
    const ip = (...args: string[]) => run('ip', args);
    const ns = (...args: string[]) => run('ip', ['netns', 'exec', this.namespace, ...args]);
    await ip('netns', 'add', this.namespace);
    await ip('link', 'add', this.hostVeth, 'type', 'veth', 'peer', 'name', inside);
    await ip('link', 'set', inside, 'netns', this.namespace);
    await ip('addr', 'add', `${this.hostAddress}/16`, 'dev', this.hostVeth);
    await ip('link', 'set', this.hostVeth, 'up');
    await ns('ip', 'link', 'set', 'lo', 'up');
    await ns('ip', 'addr', 'add', `10.${this.subnet}.0.2/16`, 'dev', inside);
    for (let g = 0; g < this.groups; g++) await ns('ip', 'addr', 'add', `${this.groupAddress(g)}/16`, 'dev', inside);
    await ns('ip', 'link', 'set', inside, 'up');
    // numgen draws per packet: `< lossPercent * 10` of 1000 is the loss share. Named counters count
    // what each direction carried and dropped, so the suite can report the loss it really got.
    const chain = (direction: Direction, hook: string, device: string, address: string) => `
      chain ${hook} {
        type filter hook ${hook} priority 0;
        ${device} "${inside}" counter name ${direction}_seen;
        ${device} "${inside}" ${address} @blackholed counter name ${direction}_blackholed drop;
        ${device} "${inside}" numgen random mod 1000 < ${Math.round(lossPercent * 10)} counter name ${direction}_lost drop;
      }`;
    const counters = directions.flatMap((d) => counterKinds.map((k) => `counter ${d}_${k} {}`)).join('\n');
    const ruleset = `table inet flaky {
      set blackholed { type ipv4_addr; }
      ${counters}
      ${chain('out', 'output', 'oifname', 'ip saddr')}
      ${chain('in', 'input', 'iifname', 'ip daddr')}
    }`;
    await new Promise<void>((resolve, reject) => {
      const child = execFile('ip', ['netns', 'exec', this.namespace, nft, '-f', '-'], (err) => (err ? reject(err) : resolve()));
      child.stdin!.end(ruleset);
    });
    this.shell = new NftShell(this.namespace, nft);
  }

  private async changeSet(verb: 'add' | 'delete', group: number): Promise<void> {
    const address = this.groupAddress(group);
    const listing = await this.shell!.change(`${verb} element inet flaky blackholed { ${address} }`, 'inet flaky blackholed');
    // The listing shows whether nft took the change (an error would leave the set as it was).
    if (new RegExp(`[ {,]${address.replaceAll('.', '\\.')}[ ,}]`).test(listing) !== (verb === 'add')) {
      throw new Error(`nft did not ${verb} ${address}: ${listing}`);
    }
  }
}
