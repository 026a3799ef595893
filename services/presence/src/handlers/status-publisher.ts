import { presenceSubjects } from '@pneumatic/contracts';
import type { Bus } from '@pneumatic/platform';
import { userStatusEvent } from '../domain/presence';

/** Announces transitions the store's scripts granted to this replica (so each is published once). */
export const publishStatus = (bus: Bus, userIds: string[], status: 'online' | 'offline') => {
  for (const userId of userIds) bus.publish(presenceSubjects.status, userStatusEvent(userId, status));
};
