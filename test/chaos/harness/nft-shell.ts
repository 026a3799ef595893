/**
 * One long-lived `nft -i` inside a network namespace. A rule change is a line on its stdin, applied
 * at once; spawning `ip netns exec ... nft` for each change took up to 300 ms on the busy 2-core
 * machine, and every blackhole's start and end would have carried that much uncertainty.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';

export class NftShell {
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;
  private turn: Promise<unknown> = Promise.resolve();

  constructor(namespace: string, nft: string) {
    this.child = spawn('ip', ['netns', 'exec', namespace, nft, '-i'], { stdio: ['pipe', 'pipe', 'inherit'] });
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.lines.push(line);
      this.waiter?.();
    });
    this.child.on('exit', () => this.waiter?.());
  }

  /**
   * Runs `command`, then `list set <set>`; resolves with the set's listing once nft has printed it,
   * so the caller knows the change is in the kernel and can check what it holds.
   */
  change(command: string, set: string): Promise<string> {
    const next = this.turn.then(() => this.exchange(`${command}\nlist set ${set}\n`));
    this.turn = next.catch(() => undefined);
    return next;
  }

  stop(): void {
    this.child.kill();
  }

  private async exchange(input: string): Promise<string> {
    this.lines.length = 0;
    this.child.stdin!.write(input);
    // A listing ends with the table's closing brace, alone on its line.
    while (!this.lines.includes('}')) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error('nft -i exited');
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    return this.lines.splice(0).join('\n');
  }
}
