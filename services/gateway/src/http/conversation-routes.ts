import {
  AddMembersBody,
  ConversationParams,
  ConversationsQuery,
  CreateConversationBody,
  HistoryQuery,
  Id,
  PostConversationMessageBody,
  ReadBody,
  contracts,
} from '@pneumatic/contracts';
import type { Bus } from '@pneumatic/platform';
import { Router, type RequestHandler } from 'express';
import { randomUUID } from 'node:crypto';
import { callerOf } from './authenticate';
import { parse } from './api-errors';

const MemberParams = ConversationParams.extend({ user_id: Id });

/** Conversations, their members, history and read receipts; membership is checked by the services that own them. */
export function conversationRoutes(bus: Bus, authenticated: RequestHandler): Router {
  const router = Router();
  router.use('/conversations', authenticated);

  router.get('/conversations', async (req, res) => {
    res.json(await bus.call(contracts.conversationsList, { ...parse(ConversationsQuery, req.query), actor_id: callerOf(res).userId }));
  });
  router.post('/conversations', async (req, res) => {
    const body = parse(CreateConversationBody, req.body);
    const { conversation, created } = await bus.call(contracts.conversationsCreate, { ...body, actor_id: callerOf(res).userId });
    res.status(created ? 201 : 200).json(conversation);
  });
  router.get('/conversations/:id', async (req, res) => {
    const { id } = parse(ConversationParams, req.params);
    res.json(await bus.call(contracts.conversationsGet, { actor_id: callerOf(res).userId, conversation_id: id }));
  });
  router.post('/conversations/:id/members', async (req, res) => {
    const { id } = parse(ConversationParams, req.params);
    const { user_ids } = parse(AddMembersBody, req.body);
    res.json(await bus.call(contracts.conversationsAddMembers, { actor_id: callerOf(res).userId, conversation_id: id, user_ids }));
  });
  router.delete('/conversations/:id/members/:user_id', async (req, res) => {
    const { id, user_id } = parse(MemberParams, req.params);
    await bus.call(contracts.conversationsRemoveMember, { actor_id: callerOf(res).userId, conversation_id: id, user_id });
    res.status(204).end();
  });
  router.get('/conversations/:id/messages', async (req, res) => {
    const { id } = parse(ConversationParams, req.params);
    const query = parse(HistoryQuery, req.query);
    res.json(await bus.call(contracts.messagesHistory, { ...query, actor_id: callerOf(res).userId, conversation_id: id }));
  });
  router.post('/conversations/:id/messages', async (req, res) => {
    const { id } = parse(ConversationParams, req.params);
    const body = parse(PostConversationMessageBody, req.body);
    const caller = callerOf(res);
    const { message, duplicate } = await bus.call(contracts.messagesSend, {
      actor_id: caller.userId,
      sender_username: caller.username,
      conversation_id: id,
      message_id: body.message_id ?? randomUUID(),
      content: body.content,
    });
    res.status(duplicate ? 200 : 201).json(message);
  });
  router.post('/conversations/:id/read', async (req, res) => {
    const { id } = parse(ConversationParams, req.params);
    const { seq } = parse(ReadBody, req.body);
    await bus.call(contracts.messagesRead, { actor_id: callerOf(res).userId, conversation_id: id, seq });
    res.status(204).end();
  });
  return router;
}
