import { LoginBody, RefreshBody, SignupBody, contracts } from '@pneumatic/contracts';
import type { Bus } from '@pneumatic/platform';
import { Router, urlencoded, type RequestHandler } from 'express';
import { callerOf } from './authenticate';
import { parse } from './api-errors';

const noLimit: RequestHandler = (_req, _res, next) => next();

/** /auth/*: accounts and tokens, answered by the auth service; `loginLimit` guards both logins against brute force. */
export function authRoutes(bus: Bus, authenticated: RequestHandler, loginLimit: RequestHandler = noLimit): Router {
  const router = Router();
  router.post('/auth/signup', async (req, res) => {
    res.status(201).json(await bus.call(contracts.authSignup, parse(SignupBody, req.body)));
  });
  router.post('/auth/login', loginLimit, async (req, res) => {
    res.json(await bus.call(contracts.authLogin, parse(LoginBody, req.body)));
  });
  // OAuth2 password grant (form-encoded), so the docs page's Authorize button works.
  router.post('/auth/token', urlencoded({ extended: false, limit: '8kb' }), loginLimit, async (req, res) => {
    res.json(await bus.call(contracts.authLogin, parse(LoginBody, req.body)));
  });
  router.post('/auth/refresh', async (req, res) => {
    res.json(await bus.call(contracts.authRefresh, parse(RefreshBody, req.body)));
  });
  router.post('/auth/logout', authenticated, async (req, res) => {
    const { refresh_token } = parse(RefreshBody, req.body);
    await bus.call(contracts.authLogout, { refresh_token, actor_id: callerOf(res).userId });
    res.status(204).end();
  });
  router.get('/auth/me', authenticated, async (_req, res) => {
    res.json(await bus.call(contracts.usersGet, { user_id: callerOf(res).userId }));
  });
  return router;
}
