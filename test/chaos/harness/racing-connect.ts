/**
 * A TCP connect for `ws`'s `createConnection` that does not wait on the kernel's SYN backoff: when
 * an attempt has not connected within `everyMs`, another starts beside it (at most `parallel`
 * pending, the oldest dropped), and the first to connect wins. A client behind a link that drops
 * packets silently would otherwise sit out a lost SYN for 1 s, then 3 s, after the link is back.
 * After `giveUpMs` without a connection the request fails and the client's own backoff takes over.
 */
import net from 'node:net';

export interface RacingOptions {
  everyMs: number;
  parallel: number;
  giveUpMs: number;
}

type Created = (err: Error | null, socket?: net.Socket) => void;

export function racingConnect({ everyMs, parallel, giveUpMs }: RacingOptions) {
  return (options: net.NetConnectOpts, created: Created): undefined => {
    const pending: net.Socket[] = [];
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const settle = (err: Error | null, winner?: net.Socket) => {
      clearTimeout(timer);
      for (const socket of pending) if (socket !== winner) socket.destroy();
      pending.length = 0;
      created(err, winner);
    };
    const attempt = () => {
      if (Date.now() - started >= giveUpMs) return settle(new Error(`no TCP connection within ${giveUpMs} ms`));
      const socket = net.connect(options);
      socket.once('connect', () => settle(null, socket));
      socket.once('error', () => pending.includes(socket) && pending.splice(pending.indexOf(socket), 1));
      pending.push(socket);
      if (pending.length > parallel) pending.shift()!.destroy();
      timer = setTimeout(attempt, everyMs);
    };
    attempt();
    return undefined;
  };
}
