import { ClientMessageId, DomainError, EditMessageBody, Emoji, ReactionBody, SendMessageBody, contracts } from '@pneumatic/contracts';
import type { Bus } from '@pneumatic/platform';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { callerOf } from './authenticate';
import { parse } from './api-errors';

/** `{id}` is the server id or the sender's own client message_id. */
const MessageParams = z.object({ id: ClientMessageId });
const ReactionParams = MessageParams.extend({ emoji: Emoji });

/** Sending, editing, deleting and reacting to messages. */
export function messageRoutes(bus: Bus, authenticated: RequestHandler): Router {
  const router = Router();
  router.use('/messages', authenticated);

  router.post('/messages', async (req, res) => {
    const body = parse(SendMessageBody, req.body);
    const caller = callerOf(res);
    if (body.sender_id !== caller.userId) {
      throw new DomainError('forbidden', 'sender_id must match the authenticated user');
    }
    const { message, duplicate } = await bus.call(contracts.messagesSend, {
      actor_id: caller.userId,
      sender_username: caller.username,
      conversation_id: body.conversation_id,
      message_id: body.message_id,
      content: body.content,
    });
    res.status(duplicate ? 200 : 201).json(message);
  });
  router.patch('/messages/:id', async (req, res) => {
    const { id } = parse(MessageParams, req.params);
    const { content } = parse(EditMessageBody, req.body);
    res.json(await bus.call(contracts.messagesEdit, { actor_id: callerOf(res).userId, message_id: id, content }));
  });
  router.delete('/messages/:id', async (req, res) => {
    const { id } = parse(MessageParams, req.params);
    res.json(await bus.call(contracts.messagesDelete, { actor_id: callerOf(res).userId, message_id: id }));
  });
  router.post('/messages/:id/reactions', async (req, res) => {
    const { id } = parse(MessageParams, req.params);
    const { emoji } = parse(ReactionBody, req.body);
    res.json(await bus.call(contracts.messagesReact, { actor_id: callerOf(res).userId, message_id: id, emoji, action: 'add' }));
  });
  router.delete('/messages/:id/reactions/:emoji', async (req, res) => {
    const { id, emoji } = parse(ReactionParams, req.params);
    res.json(await bus.call(contracts.messagesReact, { actor_id: callerOf(res).userId, message_id: id, emoji, action: 'remove' }));
  });
  return router;
}
