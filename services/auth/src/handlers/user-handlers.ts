import { DomainError, contracts } from '@pneumatic/contracts';
import type { Bus } from '@pneumatic/platform';
import { decodeCursor, pageOf, pageSizeViolation, prefixPattern } from '../domain/user-directory';
import type { UserStore } from '../store/user-store';
import { queue } from './auth-handlers';

/** Read access to accounts for the gateway and other services; never includes credentials. */
export function registerUserHandlers(bus: Bus, users: UserStore) {
  return [
    bus.serve(
      contracts.usersGet,
      async ({ user_id }) => {
        const user = await users.get(user_id);
        if (!user) throw new DomainError('not_found', 'user not found');
        return user;
      },
      { queue },
    ),
    bus.serve(contracts.usersLookup, async ({ user_ids }) => ({ users: await users.lookup(user_ids) }), { queue }),
    // For @mentions: the messages service resolves the names it finds in a message's content.
    bus.serve(contracts.usersResolve, async ({ usernames }) => ({ users: await users.resolve(usernames) }), { queue }),
    bus.serve(
      contracts.usersList,
      async ({ q, limit, cursor, except_id }) => {
        const violation = pageSizeViolation(limit);
        if (violation) throw new DomainError('validation_error', violation);
        const after = cursor ? decodeCursor(cursor) : null;
        if (cursor && after === null) throw new DomainError('validation_error', 'cursor: not a cursor from a previous page');
        // One row past the page tells whether another page follows.
        const { items, nextCursor } = pageOf(await users.list(prefixPattern(q ?? ''), after, limit + 1, except_id ?? null), limit);
        return { users: items, next_cursor: nextCursor };
      },
      { queue },
    ),
  ];
}
