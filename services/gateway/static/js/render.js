// @ts-check
// DOM builders. Everything a user typed goes in through textContent or text nodes, never innerHTML.

export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉'];
const MENTION = /(@[A-Za-z0-9_.-]{3,32})/;

/** `el('li', {class: 'x', dataset: {seq: 1}}, child, 'text')`; strings become text nodes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function timeEl(iso) {
  const at = new Date(iso);
  return el('time', { datetime: iso, title: dateTimeFormat.format(at) }, timeFormat.format(at));
}

/** Message text with @mentions highlighted (yours more strongly), as text nodes only. */
export function contentNodes(content, myUsername) {
  return content.split(MENTION).map((part, i) => {
    if (i % 2 === 0) return document.createTextNode(part);
    const mine = part.slice(1).toLowerCase() === myUsername.toLowerCase();
    return el('span', { class: mine ? 'mention mention-me' : 'mention' }, part);
  });
}

export function onlineDot(online) {
  return el('span', { class: online ? 'dot online' : 'dot', role: 'img', 'aria-label': online ? 'online' : 'offline' });
}

/**
 * One message bubble. `view` supplies what the message alone does not know: who "I" am, display
 * names, delivery state, and the actions.
 */
export function messageEl(m, view) {
  const mine = m.sender_id === view.me.id;
  const classes = ['message', mine ? 'mine' : 'theirs'];
  if (m.deleted) classes.push('deleted');
  if (m.mentions?.includes(view.me.id)) classes.push('mentions-me');
  if (view.delivery === 'pending' || view.delivery === 'failed') classes.push(view.delivery);

  const body = m.deleted
    ? el('p', { class: 'content' }, 'This message was deleted')
    : el('p', { class: 'content' }, ...contentNodes(m.content, view.me.username));

  return el(
    'li',
    { class: classes.join(' '), dataset: { id: m.id ?? '', messageId: m.message_id, seq: m.seq ?? '' } },
    el(
      'div',
      { class: 'meta' },
      el('span', { class: 'sender' }, view.senderName(m)),
      ' ',
      timeEl(m.created_at),
      m.edited_at && !m.deleted ? el('span', { class: 'edited' }, ' (edited)') : null,
    ),
    body,
    reactionsEl(m, view),
    mine ? deliveryEl(view.delivery) : null,
    m.id && !m.deleted ? actionsEl(m, mine, view) : null,
  );
}

function reactionsEl(m, view) {
  const entries = Object.entries(m.reactions ?? {}).filter(([, users]) => users.length > 0);
  if (entries.length === 0 || m.deleted) return null;
  return el(
    'div',
    { class: 'reactions' },
    entries.map(([emoji, users]) => {
      const reacted = users.includes(view.me.id);
      return el(
        'button',
        {
          type: 'button',
          class: 'reaction',
          'aria-pressed': String(reacted),
          'aria-label': `${emoji} ${users.length}, ${reacted ? 'remove your reaction' : 'react'}`,
          onclick: () => view.react(m, emoji, !reacted),
        },
        `${emoji} ${users.length}`,
      );
    }),
  );
}

const deliveryText = { pending: 'Sending…', failed: 'Not sent', sent: 'Sent', seen: 'Seen' };

function deliveryEl(delivery) {
  return el('span', { class: `delivery ${delivery}` }, deliveryText[delivery] ?? '');
}

function actionsEl(m, mine, view) {
  return el(
    'div',
    { class: 'actions' },
    QUICK_REACTIONS.map((emoji) =>
      el('button', { type: 'button', 'aria-label': `React ${emoji}`, onclick: () => view.react(m, emoji, true) }, emoji),
    ),
    mine ? el('button', { type: 'button', onclick: () => view.edit(m) }, 'Edit') : null,
    mine ? el('button', { type: 'button', onclick: () => view.remove(m) }, 'Delete') : null,
  );
}
