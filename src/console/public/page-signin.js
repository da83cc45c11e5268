/**
 * Sign-in for named humans, through the access area's POST /v1/auth/login. The session is an
 * HttpOnly cookie the browser sends with every API call; the page never holds the token.
 */
import { ApiError, post } from './api.js';
import { h, replace } from './dom.js';

/** Only console paths are followed after sign-in (no open redirect). */
function safeNext(next) {
  return next && /^\/console(\/|\?|$)/.test(next) && !next.startsWith('/console/signin')
    ? next
    : '/console/queue';
}

export async function render(main, view) {
  const error = h('p', { class: 'error', role: 'alert', id: 'signin-error' });
  const name = h('input', {
    id: 'signin-name',
    name: 'username',
    autocomplete: 'username',
    required: true,
    maxlength: '200',
  });
  const password = h('input', {
    id: 'signin-password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    maxlength: '1024',
  });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h(
    'form',
    { class: 'signin', 'aria-describedby': 'signin-error', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'signin-name' }, 'Name'), name),
    h('div', { class: 'field' }, h('label', { for: 'signin-password' }, 'Password'), password),
    button,
    error,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!name.value.trim() || !password.value) {
      error.textContent = 'Enter your name and password.';
      (name.value.trim() ? password : name).focus();
      return;
    }
    button.disabled = true;
    error.textContent = '';
    try {
      const s = await post('/v1/auth/login', { name: name.value.trim(), password: password.value });
      await view.signedIn({ id: s.user.id, name: s.user.name, roles: s.user.roles });
      view.announce(`Signed in as ${s.user.name}.`);
      await view.navigate(safeNext(view.query.get('next')), { replace: true });
    } catch (err) {
      button.disabled = false;
      password.value = '';
      error.textContent =
        err instanceof ApiError && err.status === 401
          ? 'That name and password do not match an active account.'
          : err instanceof Error
            ? err.message
            : String(err);
      password.focus();
    }
  });
  replace(
    main,
    h('h1', {}, 'Sign in to the seam console'),
    h(
      'p',
      { class: 'hint' },
      'For operators, approvers, auditors and administrators. Agents use API keys, not this page.',
    ),
    form,
  );
}
