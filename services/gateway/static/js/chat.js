// @ts-check
import { OUTBOX_LIMIT, RETRYABLE, Realtime } from './realtime.js';
import { SessionExpired, api, clearTokens, hasSession, keepSessionFresh, logOut } from './session.js';
import { personLabel } from './people.js';
import { el, messageEl, onlineDot } from './render.js';

const PAGE_SIZE = 50;
const USER_PAGES = 5; // the directory loaded up front: 5 pages of 200; search reaches the rest
const TYPING_RENEW_MS = 3_000;
const TYPING_IDLE_MS = 4_000;
const TYPING_SHOW_MS = 6_000; // the server ends typing after 5 s; this only covers a lost "stopped"
const PRESENCE_POLL_MS = 30_000;
const SYNC_RETRY_MS = 1_000; // after a sync page was refused as too fast or while the server is busy

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
/** @param {string} id */
const field = (id) => /** @type {HTMLInputElement} */ ($(id));
/** @param {string} id */
const form = (id) => /** @type {HTMLFormElement} */ ($(id));
/** What a `frame`, `sendfailed`… event of the Realtime connection carries. @param {Event} e */
const detail = (e) => /** @type {CustomEvent} */ (e).detail;
const list = $('messages');
const input = /** @type {HTMLTextAreaElement} */ ($('message-input'));

const state = {
  me: null,
  users: new Map(), // id -> {id, username, full_name, online}
  conversations: new Map(), // id -> conversation summary (+ local `mentioned`)
  activeId: null,
  messages: new Map(), // server id -> message, active conversation only
  pending: new Map(), // client message_id -> local copy until the server echoes it
  failed: new Set(), // client message_ids the server refused
  hasOlder: false,
  syncing: null, // {ref, conversation_id, afterSeq}: the sync page the active conversation waits for
  loadingOlder: false,
  readBy: new Map(), // conversation id -> Map(user id -> read seq)
  readSent: new Map(), // conversation id -> last seq we reported read
  typing: new Map(), // user id -> timer, active conversation
  typingSince: 0,
  typingIdle: null,
  editing: null,
  connectedBefore: false,
};

const realtime = new Realtime();

// ---------------------------------------------------------------- names and helpers

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // crypto.randomUUID needs a secure context; plain-HTTP hosts get the same v4 layout by hand.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A member by id; a message carries its sender's username for senders not in the directory yet. */
const displayName = (userId, fallbackUsername) => {
  const u = state.users.get(userId) ?? (fallbackUsername ? { username: fallbackUsername } : null);
  return u ? personLabel(u) : 'Unknown user';
};
const otherMember = (c) => c.members.find((id) => id !== state.me.id) ?? state.me.id;
const conversationName = (c) => (c.kind === 'direct' ? displayName(otherMember(c)) : c.title || 'Group chat');
const activity = (c) => c.last_message?.created_at ?? c.created_at;
const isOnline = (userId) => Boolean(state.users.get(userId)?.online);
const active = () => state.conversations.get(state.activeId);

function notify(text) {
  $('notice').textContent = text;
  if (text) setTimeout(() => $('notice').textContent === text && ($('notice').textContent = ''), 6_000);
}

/** Runs an action, turning an expired session into a trip to the login page and errors into a notice. */
async function attempt(action) {
  try {
    return await action();
  } catch (err) {
    if (err instanceof SessionExpired) return endSession();
    notify(err.message || 'Something went wrong');
    return undefined;
  }
}

function endSession() {
  realtime.stop();
  clearTokens();
  location.replace('/');
}

// ---------------------------------------------------------------- sidebar

function renderConversations() {
  const items = [...state.conversations.values()].sort((a, b) => activity(b).localeCompare(activity(a)));
  $('conversation-list').replaceChildren(
    ...items.map((c) => {
      const direct = c.kind === 'direct';
      const preview = c.last_message ? (c.last_message.deleted ? 'Message deleted' : c.last_message.content) : 'No messages yet';
      const unread = c.id === state.activeId ? 0 : c.unread_count;
      return el(
        'li',
        {},
        el(
          'button',
          {
            type: 'button',
            class: 'conversation-item',
            'aria-current': c.id === state.activeId ? 'true' : null,
            dataset: { conversationId: c.id },
            onclick: () => openConversation(c.id),
          },
          direct ? onlineDot(isOnline(otherMember(c))) : el('span', { class: 'group-icon', 'aria-hidden': 'true' }, '👥'),
          el(
            'span',
            { class: 'conversation-text' },
            el('span', { class: 'conversation-name' }, conversationName(c)),
            el('span', { class: 'conversation-meta' }, direct ? preview : `${c.member_count} members · ${preview}`),
          ),
          c.mentioned && unread ? el('span', { class: 'mention-badge', 'aria-label': 'mentioned you' }, '@') : null,
          unread ? el('span', { class: 'badge', 'aria-label': `${unread} unread` }, String(unread)) : null,
        ),
      );
    }),
  );
  const total = items.reduce((n, c) => n + (c.id === state.activeId ? 0 : c.unread_count), 0);
  document.title = total ? `(${total}) Pneumatic Chat` : 'Pneumatic Chat';
}

function renderUsers() {
  const q = field('user-search').value.trim().toLowerCase();
  const users = [...state.users.values()]
    .filter((u) => u.id !== state.me.id)
    .filter((u) => !q || u.username.toLowerCase().startsWith(q) || (u.full_name ?? '').toLowerCase().includes(q))
    .sort((a, b) => Number(b.online) - Number(a.online) || a.username.localeCompare(b.username));
  $('user-list').replaceChildren(
    ...users.map((u) =>
      el(
        'li',
        {},
        el(
          'button',
          { type: 'button', class: 'user-item', dataset: { userId: u.id }, onclick: () => attempt(() => openDirect(u.id)) },
          onlineDot(u.online),
          el('span', { class: 'user-name' }, personLabel(u)),
        ),
      ),
    ),
  );
}

function renderPresence() {
  renderUsers();
  renderConversations();
  renderHeader();
}

function renderHeader() {
  const c = active();
  if (!c) return;
  $('conversation-title').textContent = conversationName(c);
  const presence = $('conversation-presence');
  if (c.kind === 'direct') {
    const online = isOnline(otherMember(c));
    presence.replaceChildren(onlineDot(online), online ? 'Online' : 'Offline');
  } else {
    const online = c.members.filter((id) => id !== state.me.id && isOnline(id)).length;
    presence.replaceChildren(`${c.member_count} members, ${online} online`);
  }
}

// ---------------------------------------------------------------- loading

async function loadUsers() {
  // The directory leaves the caller out; we still name ourselves as a member and sender.
  state.users.set(state.me.id, { ...state.users.get(state.me.id), ...state.me });
  let cursor = null;
  for (let page = 0; page < USER_PAGES; page++) {
    const body = await api(`/users?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    for (const u of body.users) state.users.set(u.id, u);
    cursor = body.next_cursor;
    if (!cursor) break;
  }
  renderPresence();
}

async function searchUsers(q) {
  const body = await api(`/users?q=${encodeURIComponent(q)}&limit=50`);
  for (const u of body.users) state.users.set(u.id, { ...state.users.get(u.id), ...u });
  renderUsers();
}

async function loadConversations() {
  const { conversations } = await api('/conversations');
  const fresh = new Map(conversations.map((c) => [c.id, { ...c, mentioned: state.conversations.get(c.id)?.mentioned }]));
  state.conversations = fresh;
  learnMembers(conversations);
  renderConversations();
  if (state.activeId && !fresh.has(state.activeId)) closeConversation();
}

let conversationsReload = null;
/** Coalesces reloads triggered by a burst of events about conversations we do not know yet. */
function reloadConversationsSoon() {
  conversationsReload ??= setTimeout(() => {
    conversationsReload = null;
    void attempt(loadConversations);
  }, 300);
}

async function refreshPresence(userIds) {
  const ids = [...new Set(userIds)].filter((id) => id !== state.me.id).slice(0, 200);
  if (ids.length === 0) return;
  const { online } = await api(`/presence?user_ids=${ids.join(',')}`);
  const set = new Set(online);
  for (const id of ids) {
    const u = state.users.get(id);
    if (u) u.online = set.has(id);
  }
  renderPresence();
}

// ---------------------------------------------------------------- opening conversations

function upsertConversation(c) {
  state.conversations.set(c.id, { ...state.conversations.get(c.id), ...c });
  learnMembers([c]);
  renderConversations();
}

let usersReload = null;
/** Someone who signed up after the directory was loaded: reload it once for a burst of such events. */
function learnMembers(conversations) {
  const unknown = conversations.some((c) => c.members.some((id) => !state.users.has(id)));
  if (!unknown || usersReload) return;
  usersReload = setTimeout(() => {
    void attempt(loadUsers).finally(() => (usersReload = null));
  }, 300);
}

async function openDirect(userId) {
  const existing = [...state.conversations.values()].find((c) => c.kind === 'direct' && c.members.includes(userId));
  if (existing) return openConversation(existing.id);
  const conversation = await api('/conversations', { method: 'POST', body: { title: '', member_ids: [userId] } });
  upsertConversation(conversation);
  return openConversation(conversation.id);
}

async function createGroup(title, usernames) {
  const memberIds = [];
  for (const name of usernames) {
    let user = [...state.users.values()].find((u) => u.username.toLowerCase() === name.toLowerCase());
    if (!user) {
      await searchUsers(name);
      user = [...state.users.values()].find((u) => u.username.toLowerCase() === name.toLowerCase());
    }
    if (!user) throw new Error(`No user named "${name}"`);
    if (user.id !== state.me.id) memberIds.push(user.id);
  }
  const conversation = await api('/conversations', { method: 'POST', body: { title, member_ids: memberIds, kind: 'group' } });
  upsertConversation(conversation);
  await openConversation(conversation.id);
}

function closeConversation() {
  if (state.activeId) realtime.send({ type: 'leave', conversation_id: state.activeId });
  state.activeId = null;
  $('conversation').hidden = true;
  $('empty-state').hidden = false;
  history.replaceState(null, '', location.pathname);
}

async function openConversation(id) {
  const c = state.conversations.get(id);
  if (!c) return;
  if (state.activeId && state.activeId !== id) realtime.send({ type: 'leave', conversation_id: state.activeId });
  stopTyping();
  cancelEdit();
  state.activeId = id;
  state.messages.clear();
  state.hasOlder = false;
  state.syncing = null;
  for (const timer of state.typing.values()) clearTimeout(timer);
  state.typing.clear();
  renderTyping();
  list.replaceChildren();
  $('empty-state').hidden = true;
  $('conversation').hidden = false;
  history.replaceState(null, '', `#${id}`);
  c.mentioned = false;
  renderConversations();
  renderHeader();
  joinActive();
  void attempt(() => refreshPresence(c.members));

  const page = await attempt(() => api(`/conversations/${id}/messages?limit=${PAGE_SIZE}`));
  if (!page || state.activeId !== id) return;
  for (const m of page.messages) state.messages.set(m.id, m);
  state.hasOlder = page.has_more;
  renderAllMessages();
  list.scrollTop = list.scrollHeight;
  input.focus();
  markRead();
  void fillViewport();
}

function joinActive() {
  const id = state.activeId;
  if (!id) return;
  realtime.send({ type: 'join', conversation_id: id });
  realtime.send({ type: 'get_online_users', conversation_id: id });
}

// ---------------------------------------------------------------- messages

const messageView = (delivery) => ({
  me: state.me,
  delivery,
  senderName: (m) => displayName(m.sender_id, m.sender_username),
  react: (m, emoji, add) => void attempt(() => react(m, emoji, add)),
  edit: (m) => startEdit(m),
  remove: (m) => void attempt(() => removeMessage(m)),
});

// Loops, not Math.max(...spread): after a long absence there may be more messages than arguments allowed.
const maxSeq = () => {
  let max = 0;
  for (const m of state.messages.values()) if (m.seq > max) max = m.seq;
  return max;
};
const minSeq = () => {
  let min = Infinity;
  for (const m of state.messages.values()) if (m.seq < min) min = m.seq;
  return min;
};
const atBottom = () => list.scrollHeight - list.scrollTop - list.clientHeight < 60;

function renderAllMessages() {
  const sorted = [...state.messages.values()].sort((a, b) => a.seq - b.seq);
  const pending = [...state.pending.values()].filter((m) => m.conversation_id === state.activeId);
  list.replaceChildren(
    ...sorted.map((m) => messageEl(m, messageView('sent'))),
    ...pending.map((m) => messageEl(m, messageView(state.failed.has(m.message_id) ? 'failed' : 'pending'))),
  );
  updateReceipts();
}

/** The later of two copies of one message (a late duplicate must not undo an edit or a delete). */
function laterCopy(prev, next) {
  if (!prev) return next;
  if (prev.deleted && !next.deleted) return prev;
  if ((prev.edited_at ?? '') > (next.edited_at ?? '')) return prev;
  return next;
}

/** Puts one message of the active conversation on screen, in seq order, replacing any older copy. */
function showMessage(incoming) {
  const stick = atBottom() || incoming.sender_id === state.me.id;
  placeMessage(incoming);
  updateReceipts();
  if (stick) list.scrollTop = list.scrollHeight;
}

/** A page of the active conversation's messages (a sync reply), drawn with one layout and one receipts pass. */
function showPage(messages) {
  const stick = atBottom();
  for (const m of messages) {
    noteMessage(m);
    placeMessage(m);
  }
  updateReceipts();
  if (stick) list.scrollTop = list.scrollHeight;
  renderConversations();
}

/**
 * The list node of a message, in seq order, replacing an older copy of it. Only a message already
 * known can have a node, and a new one almost always goes last, so a page of thousands stays linear.
 */
function placeMessage(incoming) {
  const known = state.messages.get(incoming.id);
  const m = laterCopy(known, incoming);
  state.messages.set(m.id, m);
  const node = messageEl(m, messageView('sent'));
  if (m.sender_id === state.me.id) list.querySelector(`li[data-message-id="${CSS.escape(m.message_id)}"][data-id=""]`)?.remove();
  const existing = known && list.querySelector(`li[data-id="${CSS.escape(m.id)}"]`);
  if (existing) return existing.replaceWith(node);
  // Unsent messages (no seq) stay last; everything else goes in seq order.
  let before = /** @type {HTMLElement | null} */ (list.lastElementChild);
  while (before && !(before.dataset.seq && Number(before.dataset.seq) < m.seq)) before = /** @type {HTMLElement | null} */ (before.previousElementSibling);
  if (before) before.after(node);
  else list.prepend(node);
}

/** "Sent" / "Seen" under your latest message, from the read receipts of the others. */
function updateReceipts() {
  const readers = state.readBy.get(state.activeId);
  const seenUpTo = readers ? Math.max(0, ...readers.values()) : 0;
  const mine = [.../** @type {NodeListOf<HTMLLIElement>} */ (list.querySelectorAll('li.mine'))];
  mine.forEach((li, i) => {
    li.classList.toggle('last-mine', i === mine.length - 1);
    const delivery = li.querySelector('.delivery');
    if (!delivery || !li.dataset.seq) return;
    const seen = Number(li.dataset.seq) <= seenUpTo;
    delivery.className = `delivery ${seen ? 'seen' : 'sent'}`;
    delivery.textContent = seen ? 'Seen' : 'Sent';
  });
}

async function loadOlder() {
  if (!state.hasOlder || state.loadingOlder || state.messages.size === 0) return;
  const id = state.activeId;
  state.loadingOlder = true;
  list.setAttribute('aria-busy', 'true');
  try {
    const page = await attempt(() => api(`/conversations/${id}/messages?limit=${PAGE_SIZE}&before_seq=${minSeq()}`));
    if (!page || state.activeId !== id) return;
    const before = list.scrollHeight;
    for (const m of page.messages) state.messages.set(m.id, laterCopy(state.messages.get(m.id), m));
    state.hasOlder = page.has_more;
    renderAllMessages();
    list.scrollTop += list.scrollHeight - before; // keep the reader where they were
  } finally {
    state.loadingOlder = false;
    list.removeAttribute('aria-busy');
  }
}

/** A short first page on a tall screen leaves nothing to scroll: keep loading until there is. */
async function fillViewport() {
  while (state.hasOlder && list.scrollHeight <= list.clientHeight && !state.loadingOlder) await loadOlder();
}

function markRead() {
  const c = active();
  if (!c || document.hidden) return;
  const seq = maxSeq();
  c.unread_count = 0;
  c.mentioned = false;
  renderConversations();
  if (seq > (state.readSent.get(c.id) ?? 0) && realtime.send({ type: 'read', conversation_id: c.id, seq })) {
    state.readSent.set(c.id, seq);
  }
}

// ---------------------------------------------------------------- sending, editing, reacting

function sendMessage(content) {
  const c = active();
  if (!c) return;
  const message = {
    id: null,
    message_id: uuid(),
    conversation_id: c.id,
    seq: null,
    sender_id: state.me.id,
    sender_username: state.me.username,
    content,
    created_at: new Date().toISOString(),
    edited_at: null,
    deleted: false,
    reactions: {},
    mentions: [],
  };
  const frame = { type: 'message', message_id: message.message_id, conversation_id: c.id, content };
  if (!realtime.sendMessage(frame)) return notify(`${OUTBOX_LIMIT} messages are already waiting to be sent; try again when connected.`);
  state.pending.set(message.message_id, message);
  list.append(messageEl(message, messageView('pending')));
  list.scrollTop = list.scrollHeight;
  renderConnection();
}

function startEdit(m) {
  state.editing = m;
  $('editing').hidden = false;
  input.value = m.content;
  input.focus();
}

function cancelEdit() {
  state.editing = null;
  $('editing').hidden = true;
}

async function saveEdit(m, content) {
  const updated = await api(`/messages/${m.id}`, { method: 'PATCH', body: { content } });
  if (updated?.conversation_id === state.activeId) showMessage(updated);
}

async function removeMessage(m) {
  if (!confirm('Delete this message for everyone?')) return;
  const updated = await api(`/messages/${m.id}`, { method: 'DELETE' });
  if (updated?.conversation_id === state.activeId) showMessage(updated);
}

async function react(m, emoji, add) {
  const path = `/messages/${m.id}/reactions`;
  const updated = add
    ? await api(path, { method: 'POST', body: { emoji } })
    : await api(`${path}/${encodeURIComponent(emoji)}`, { method: 'DELETE' });
  if (updated?.conversation_id === state.activeId) showMessage(updated);
}

// ---------------------------------------------------------------- typing

function noteTyping() {
  const id = state.activeId;
  if (!id || state.editing) return;
  clearTimeout(state.typingIdle);
  state.typingIdle = setTimeout(stopTyping, TYPING_IDLE_MS);
  if (Date.now() - state.typingSince < TYPING_RENEW_MS) return;
  if (realtime.send({ type: 'typing', conversation_id: id, is_typing: true })) state.typingSince = Date.now();
}

function stopTyping() {
  clearTimeout(state.typingIdle);
  if (!state.typingSince || !state.activeId) return;
  state.typingSince = 0;
  realtime.send({ type: 'typing', conversation_id: state.activeId, is_typing: false });
}

function renderTyping() {
  const names = [...state.typing.keys()].map((id) => displayName(id));
  $('typing').textContent =
    names.length === 0 ? '' : names.length === 1 ? `${names[0]} is typing…` : `${names.join(', ')} are typing…`;
}

function showTyping({ user_id, is_typing }) {
  clearTimeout(state.typing.get(user_id));
  state.typing.delete(user_id);
  if (is_typing) state.typing.set(user_id, setTimeout(() => showTyping({ user_id, is_typing: false }), TYPING_SHOW_MS));
  renderTyping();
}

// ---------------------------------------------------------------- server frames

/** What a delivered message changes besides the list: our pending copy, the conversation's last message. */
function noteMessage(m) {
  if (m.sender_id === state.me.id) {
    state.pending.delete(m.message_id);
    state.failed.delete(m.message_id);
  }
  const c = state.conversations.get(m.conversation_id);
  if (c && m.seq > c.last_seq) {
    c.last_seq = m.seq;
    c.last_message = m;
  }
  return c;
}

/**
 * Asks for the active conversation's messages after `afterSeq`. One chain of pages at a time: it
 * runs to the newest message, so a gap seen meanwhile is already covered.
 */
function requestSync(afterSeq) {
  const conversation_id = state.activeId;
  if (!conversation_id) return;
  const ask = { ref: `sync-${uuid()}`, conversation_id, afterSeq };
  state.syncing = realtime.send({ type: 'sync', conversation_id, after_seq: afterSeq, ref: ask.ref }) ? ask : null;
}

/** A sync page refused as too fast or while the server is busy is asked for again shortly; any other refusal ends the chain. */
function syncRefused(code) {
  const asked = state.syncing;
  state.syncing = null;
  if (!RETRYABLE.has(code)) return;
  setTimeout(() => state.activeId === asked.conversation_id && !state.syncing && requestSync(asked.afterSeq), SYNC_RETRY_MS);
}

const frameHandlers = {
  message({ message: m }) {
    const c = noteMessage(m);
    if (!c) return reloadConversationsSoon();
    if (m.conversation_id === state.activeId) {
      const known = maxSeq();
      // A gap means frames were lost (e.g. across a reconnect): ask for everything after what we have.
      if (known > 0 && m.seq > known + 1 && !state.syncing) requestSync(known);
      if (state.typing.has(m.sender_id)) showTyping({ user_id: m.sender_id, is_typing: false });
      showMessage(m);
      markRead();
    } else if (m.sender_id !== state.me.id) {
      c.unread_count += 1;
    }
    renderConversations();
  },
  message_edited: ({ message }) => updateMessage(message),
  message_deleted: ({ message }) => updateMessage(message),
  message_reaction({ message_id, conversation_id, emoji, user_id, action }) {
    const m = conversation_id === state.activeId ? state.messages.get(message_id) : null;
    if (!m) return;
    // Own properties only: an emoji may be named `constructor` or `__proto__`.
    const users = new Set(Object.hasOwn(m.reactions, emoji) ? m.reactions[emoji] : []);
    if (action === 'add') users.add(user_id);
    else users.delete(user_id);
    const others = Object.entries(m.reactions).filter(([e]) => e !== emoji);
    showMessage({ ...m, reactions: Object.fromEntries(users.size > 0 ? [...others, [emoji, [...users]]] : others) });
  },
  mention({ message }) {
    const c = state.conversations.get(message.conversation_id);
    if (c && message.conversation_id !== state.activeId) {
      c.mentioned = true;
      renderConversations();
    }
  },
  conversation_created: ({ conversation }) => upsertConversation(conversation),
  member_added: ({ conversation }) => {
    upsertConversation(conversation);
    if (conversation.id === state.activeId) renderHeader();
  },
  member_removed({ conversation, user_id }) {
    if (user_id !== state.me.id) return frameHandlers.member_added({ conversation });
    state.conversations.delete(conversation.id);
    if (conversation.id === state.activeId) closeConversation();
    renderConversations();
  },
  typing(frame) {
    if (frame.conversation_id === state.activeId && frame.user_id !== state.me.id) showTyping(frame);
  },
  read({ conversation_id, user_id, seq }) {
    if (user_id === state.me.id) return;
    const readers = state.readBy.get(conversation_id) ?? new Map();
    readers.set(user_id, Math.max(seq, readers.get(user_id) ?? 0));
    state.readBy.set(conversation_id, readers);
    if (conversation_id === state.activeId) updateReceipts();
  },
  user_status({ user_id, status }) {
    const u = state.users.get(user_id);
    if (!u) return;
    u.online = status === 'online';
    renderPresence();
  },
  online_users({ conversation_id, users }) {
    const c = state.conversations.get(conversation_id);
    if (!c) return;
    const online = new Set(users);
    for (const id of c.members) {
      const u = state.users.get(id);
      if (u) u.online = online.has(id);
    }
    renderPresence();
  },
  sync({ conversation_id, messages, has_more, ref }) {
    if (conversation_id !== state.activeId || ref !== state.syncing?.ref) return;
    const last = messages.at(-1);
    // The next page is asked for before this one is drawn, so the server and the page work at once.
    if (has_more && last) requestSync(last.seq);
    else state.syncing = null;
    showPage(messages);
    // Read once caught up: a read frame per page would spend the frame budget the next pages need.
    if (!state.syncing) markRead();
  },
  error({ code, reason, ref }) {
    if (ref !== undefined && ref === state.syncing?.ref) return syncRefused(code);
    // Frames this gateway does not serve yet are optional extras; everything else is worth showing.
    if (code !== 'unknown_type' && !state.pending.has(ref)) notify(reason);
  },
};

function updateMessage(m) {
  const c = state.conversations.get(m.conversation_id);
  if (c?.last_message?.id === m.id) {
    c.last_message = m;
    renderConversations();
  }
  if (m.conversation_id === state.activeId && state.messages.has(m.id)) showMessage(m);
}

// ---------------------------------------------------------------- connection state

const connectionText = { online: 'Connected', connecting: 'Connecting…', offline: 'Offline – reconnecting' };

function renderConnection() {
  const badge = $('connection');
  const queued = realtime.queued;
  badge.className = `connection ${realtime.state}`;
  badge.textContent =
    connectionText[realtime.state] + (queued && realtime.state !== 'online' ? ` · ${queued} waiting to send` : '');
}

realtime.addEventListener('state', renderConnection);
realtime.addEventListener('frame', (e) => frameHandlers[detail(e).type]?.(detail(e)));
realtime.addEventListener('expired', endSession);
realtime.addEventListener('sendfailed', (e) => {
  const { message_id, reason } = detail(e);
  state.failed.add(message_id);
  notify(`Message not sent: ${reason}`);
  if (state.pending.get(message_id)?.conversation_id === state.activeId) renderAllMessages();
});
realtime.addEventListener('open', () => {
  renderConnection();
  joinActive();
  if (!state.connectedBefore) {
    state.connectedBefore = true;
    return;
  }
  // Back after a drop: catch up on the open conversation and refresh the rest.
  if (state.activeId) requestSync(maxSeq());
  void attempt(loadConversations);
  void attempt(loadUsers);
});

// ---------------------------------------------------------------- wiring

function wireComposer() {
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const content = input.value.trim();
    if (!content) return;
    if (state.editing) {
      const m = state.editing;
      cancelEdit();
      if (content !== m.content) void attempt(() => saveEdit(m, content));
    } else {
      stopTyping();
      sendMessage(content);
    }
    input.value = '';
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form('composer').requestSubmit();
    } else if (e.key === 'Escape' && state.editing) {
      cancelEdit();
      input.value = '';
    }
  });
  input.addEventListener('input', () => (input.value ? noteTyping() : stopTyping()));
  input.addEventListener('blur', stopTyping);
  $('cancel-edit').addEventListener('click', () => {
    cancelEdit();
    input.value = '';
    input.focus();
  });
  list.addEventListener('scroll', () => list.scrollTop < 120 && void loadOlder());
}

function wireSidebar() {
  let searchTimer;
  $('user-search').addEventListener('input', () => {
    renderUsers();
    clearTimeout(searchTimer);
    const q = field('user-search').value.trim();
    if (q) searchTimer = setTimeout(() => void attempt(() => searchUsers(q)), 250);
  });
  const dialog = /** @type {HTMLDialogElement} */ ($('group-dialog'));
  $('new-group').addEventListener('click', () => {
    form('group-form').reset();
    $('group-status').textContent = '';
    dialog.showModal();
  });
  $('group-cancel').addEventListener('click', () => dialog.close());
  $('group-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const title = field('group-name').value.trim();
    const usernames = field('group-members').value.split(',').map((s) => s.trim()).filter(Boolean);
    if (!title) return void ($('group-status').textContent = 'A group needs a name.');
    try {
      await createGroup(title, usernames);
      dialog.close();
    } catch (err) {
      if (err instanceof SessionExpired) return endSession();
      $('group-status').textContent = err.message;
    }
  });
  $('logout').addEventListener('click', async () => {
    realtime.stop();
    await logOut();
    location.replace('/');
  });
}

async function start() {
  if (!hasSession()) return location.replace('/');
  wireComposer();
  wireSidebar();
  state.me = await attempt(() => api('/auth/me'));
  if (!state.me) return;
  $('me').textContent = personLabel(state.me);
  keepSessionFresh(endSession);
  realtime.start();
  await attempt(loadUsers); // first, so conversations can name their members
  await attempt(loadConversations);
  const fromUrl = location.hash.slice(1);
  if (state.conversations.has(fromUrl)) await openConversation(fromUrl);
  document.addEventListener('visibilitychange', markRead);
  setInterval(() => void attempt(() => refreshPresence([...state.users.keys()])), PRESENCE_POLL_MS);
  document.body.dataset.ready = 'true';
}

void start();
