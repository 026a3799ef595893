import { DomainError, contracts } from '@pneumatic/contracts';
import type { Bus } from '@pneumatic/platform';

/** Users belong to the auth service; it answers which of these ids exist. */
export async function requireKnownUsers(bus: Bus, userIds: string[], field = 'member_ids'): Promise<void> {
  if (userIds.length === 0) return;
  const { users } = await bus.call(contracts.usersLookup, { user_ids: userIds });
  const known = new Set(users.map((u) => u.id));
  const unknown = userIds.find((id) => !known.has(id));
  if (unknown) throw new DomainError('validation_error', `${field}: unknown user id ${unknown}`);
}
