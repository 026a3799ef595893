import { PresenceQuery, UsersQuery, contracts } from '@pneumatic/contracts';
import type { Bus } from '@pneumatic/platform';
import { Router, type RequestHandler } from 'express';
import { parse } from './api-errors';
import { callerOf } from './authenticate';

/** /users and /presence: the directory with who is online. */
export function userRoutes(bus: Bus, authenticated: RequestHandler): Router {
  const router = Router();
  router.get('/users', authenticated, async (req, res) => {
    // The caller is left out (seed 001's client would otherwise offer a chat with yourself).
    const page = await bus.call(contracts.usersList, { ...parse(UsersQuery, req.query), except_id: callerOf(res).userId });
    const { online } = await bus.call(contracts.presenceQuery, { user_ids: page.users.map((u) => u.id) });
    const isOnline = new Set(online);
    res.json({ users: page.users.map((u) => ({ ...u, online: isOnline.has(u.id) })), next_cursor: page.next_cursor });
  });
  router.get('/presence', authenticated, async (req, res) => {
    const { user_ids } = parse(PresenceQuery, req.query);
    const { online, degraded } = await bus.call(contracts.presenceQuery, { user_ids });
    res.json(degraded ? { online, degraded } : { online });
  });
  return router;
}
