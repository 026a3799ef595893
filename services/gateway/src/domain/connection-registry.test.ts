import { ConnectionRegistry, type Connection } from './connection-registry';

const socket = (id: string, userId: string, scope?: string, sessionId = `${userId}-session`): Connection => ({
  id,
  userId,
  username: userId,
  joined: new Set(),
  scope,
  sessionId,
  expiresAt: Number.MAX_SAFE_INTEGER,
  send: () => undefined,
  close: () => undefined,
  isOpen: () => true,
});

describe('connection registry', () => {
  it('finds the sockets of one login session, scoped or not, and no other', () => {
    const registry = new ConnectionRegistry();
    registry.add(socket('1', 'alice', undefined, 'login-a'));
    registry.add(socket('2', 'alice', 'c1', 'login-a'));
    registry.add(socket('3', 'alice', undefined, 'login-b'));
    registry.add(socket('4', 'bob', undefined, 'login-c'));
    expect(registry.sessionSockets('login-a').map((c) => c.id).sort()).toEqual(['1', '2']);
    expect(registry.sessionSockets('login-z')).toEqual([]);
  });

  it('reaches every device of every local member of a conversation', () => {
    const registry = new ConnectionRegistry();
    const phone = socket('1', 'alice');
    const laptop = socket('2', 'alice');
    const bob = socket('3', 'bob');
    expect(registry.add(phone).firstForUser).toBe(true);
    expect(registry.add(laptop).firstForUser).toBe(false);
    registry.add(bob);
    expect(registry.addMembership('c1', 'alice')).toBe(true);
    expect(registry.addMembership('c1', 'bob')).toBe(false);
    expect(registry.memberSockets('c1').map((c) => c.id).sort()).toEqual(['1', '2', '3']);
  });

  it('ignores memberships of users it holds no socket for', () => {
    const registry = new ConnectionRegistry();
    expect(registry.addMembership('c1', 'carol')).toBe(false);
    expect(registry.isInterested('c1')).toBe(false);
  });

  it('gives up a conversation when its last local member disconnects', () => {
    const registry = new ConnectionRegistry();
    const a1 = socket('1', 'alice');
    const a2 = socket('2', 'alice');
    registry.add(a1);
    registry.add(a2);
    registry.addMembership('c1', 'alice');
    expect(registry.remove(a1)).toEqual({ lastForUser: false, abandoned: [] });
    expect(registry.remove(a2)).toEqual({ lastForUser: true, abandoned: ['c1'] });
    expect(registry.isInterested('c1')).toBe(false);
  });

  it('sends a scoped socket only its own conversation', () => {
    const registry = new ConnectionRegistry();
    registry.add(socket('1', 'alice', 'c2'));
    registry.addMembership('c1', 'alice');
    registry.addMembership('c2', 'alice');
    expect(registry.memberSockets('c1')).toEqual([]);
    expect(registry.memberSockets('c2').map((c) => c.id)).toEqual(['1']);
  });

  it('stops a removed member\'s sockets from looking at the conversation', () => {
    const registry = new ConnectionRegistry();
    const alice = socket('1', 'alice');
    const bob = socket('2', 'bob');
    registry.add(alice);
    registry.add(bob);
    registry.addMembership('c1', 'alice');
    registry.addMembership('c1', 'bob');
    alice.joined.add('c1');
    bob.joined.add('c1');
    expect(registry.joinedSockets('c1', 'alice').map((c) => c.id)).toEqual(['2']);
    expect(registry.removeMembership('c1', 'alice')).toBe(false);
    expect(alice.joined.has('c1')).toBe(false);
    expect(registry.memberSockets('c1').map((c) => c.id)).toEqual(['2']);
    expect(registry.removeMembership('c1', 'bob')).toBe(true);
    expect(registry.isInterested('c1')).toBe(false);
  });

  it('tells a status change only to other users looking at a shared conversation', () => {
    const registry = new ConnectionRegistry();
    const alice = socket('1', 'alice');
    const bob = socket('2', 'bob');
    const carol = socket('3', 'carol');
    [alice, bob, carol].forEach((c) => registry.add(c));
    alice.joined.add('c1');
    bob.joined.add('c1');
    carol.joined.add('c2');
    const shared = (conversationId: string) => conversationId === 'c1';
    expect(registry.statusAudience('alice', shared).map((c) => c.id)).toEqual(['2']);
  });

  it('keeps user-wide events off scoped sockets', () => {
    const registry = new ConnectionRegistry();
    registry.add(socket('1', 'alice'));
    registry.add(socket('2', 'alice', 'c1'));
    expect(registry.socketsOf('alice').map((c) => c.id)).toEqual(['1']);
    expect(registry.allSocketsOf('alice')).toHaveLength(2);
  });
});
