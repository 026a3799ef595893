// @ts-check
import { hasSession, post, saveTokens } from './session.js';

const CHAT_PAGE = '/static/chat.html';

if (hasSession()) location.replace(CHAT_PAGE);

const status = document.getElementById('auth-status');
const tabs = [.../** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[role="tab"]'))];

function selectTab(tab) {
  for (const t of tabs) {
    const selected = t === tab;
    t.setAttribute('aria-selected', String(selected));
    t.tabIndex = selected ? 0 : -1;
    document.getElementById(t.getAttribute('aria-controls')).hidden = !selected;
  }
  status.textContent = '';
  document.getElementById(tab.getAttribute('aria-controls')).querySelector('input').focus();
}

for (const tab of tabs) {
  tab.addEventListener('click', () => selectTab(tab));
  tab.addEventListener('keydown', (/** @type {KeyboardEvent} */ e) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    const next = tabs[(tabs.indexOf(tab) + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
    next.focus();
    selectTab(next);
  });
}

async function logIn(username, password) {
  saveTokens(await post('/auth/login', { username, password }));
  location.assign(CHAT_PAGE);
}

/** Runs a form's action with its button disabled and any failure shown in the status line. */
function onSubmit(form, action) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    status.textContent = '';
    try {
      await action(new FormData(form));
    } catch (err) {
      status.textContent = err.message || 'Something went wrong, please try again.';
    } finally {
      button.disabled = false;
    }
  });
}

onSubmit(document.getElementById('login-form'), (data) => logIn(data.get('username').trim(), data.get('password')));

onSubmit(document.getElementById('signup-form'), async (data) => {
  const username = data.get('username').trim();
  const password = data.get('password');
  const fullName = data.get('full_name').trim();
  await post('/auth/signup', { username, password, ...(fullName ? { full_name: fullName } : {}) });
  status.textContent = 'Account created, logging you in…';
  await logIn(username, password);
});
