import { createLogger } from '@pneumatic/platform';
import { ConnectionRegistry, type Connection } from '../domain/connection-registry';
import { SocketCap } from './socket-cap';
import { InMemorySocketSlots, type SocketSlots } from './socket-slots';

const logger = createLogger('socket-cap', 'silent');
const settings = { maxPerUser: 2, leaseMs: 60_000 };

const connection = (id: string, userId: string): Connection => ({
  id,
  userId,
  username: userId,
  joined: new Set(),
  sessionId: 's',
  expiresAt: Infinity,
  send: () => undefined,
  close: () => undefined,
  isOpen: () => true,
});

describe('socket cap', () => {
  it('admits up to the cap per user, and again once a socket is released', async () => {
    const cap = new SocketCap(new InMemorySocketSlots(), new ConnectionRegistry(), settings, logger);
    expect(await cap.admit({ userId: 'alice', socketId: 'a1' })).toBe(true);
    expect(await cap.admit({ userId: 'alice', socketId: 'a2' })).toBe(true);
    expect(await cap.admit({ userId: 'alice', socketId: 'a3' })).toBe(false);
    expect(await cap.admit({ userId: 'bob', socketId: 'b1' })).toBe(true);
    cap.release({ userId: 'alice', socketId: 'a1' });
    await new Promise(setImmediate);
    expect(await cap.admit({ userId: 'alice', socketId: 'a3' })).toBe(true);
  });

  it("still holds this gateway's own sockets to the cap while the shared store is down", async () => {
    const down: SocketSlots = {
      claim: () => Promise.reject(new Error('redis down')),
      release: () => Promise.reject(new Error('redis down')),
      renew: () => Promise.reject(new Error('redis down')),
    };
    const registry = new ConnectionRegistry();
    const cap = new SocketCap(down, registry, settings, logger);
    expect(await cap.admit({ userId: 'alice', socketId: 'a1' })).toBe(true);
    registry.add(connection('a1', 'alice'));
    registry.add(connection('a2', 'alice'));
    expect(await cap.admit({ userId: 'alice', socketId: 'a3' })).toBe(false);
  });
});
