/* global document, window, history, location, Element, URLSearchParams */
/**
 * The console's shell: who is signed in, the navigation, and a tiny router over real URLs
 * (/console/queue, /console/proposals/P-12, /console/audit?..., /console/systems). Each view is a
 * module with `render(main, view)`; after it renders, focus moves to its heading so keyboard and
 * screen-reader users land on the new page, and its title becomes the document title.
 */
import { get, post, whenSignedOut } from './api.js';
import { h, replace, tickCountdowns } from './dom.js';
import * as audit from './page-audit.js';
import * as proposal from './page-proposal.js';
import * as queue from './page-queue.js';
import * as signin from './page-signin.js';
import * as systems from './page-systems.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const status = document.getElementById('status');

/** The signed-in human: { id, name, roles } or null. */
let session = null;
let renderCount = 0;

const ROUTES = [
  { pattern: /^\/console\/?$/, redirect: () => '/console/queue' },
  { pattern: /^\/console\/queue\/?$/, page: queue, nav: 'queue' },
  { pattern: /^\/console\/proposals\/([^/]+)\/?$/, page: proposal, nav: 'queue' },
  { pattern: /^\/console\/audit\/?$/, page: audit, nav: 'audit' },
  { pattern: /^\/console\/systems\/?$/, page: systems, nav: 'systems' },
  { pattern: /^\/console\/signin\/?$/, page: signin, public: true },
];

/** Say something to screen readers (and show it in the status line). */
export function announce(message) {
  status.textContent = '';
  // A fresh text node after a tick is announced even when the words repeat.
  setTimeout(() => {
    status.textContent = message;
  }, 30);
}

export function navigate(url, { replace: replaceState = false } = {}) {
  if (replaceState) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  return render();
}

function hasRole(...roles) {
  return Boolean(session && session.roles.some((r) => roles.includes(r)));
}

function renderChrome(active) {
  nav.hidden = !session;
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.nav === active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!session) {
    replace(who);
    return;
  }
  replace(
    who,
    h('span', { class: 'who-name' }, session.name),
    h(
      'span',
      { class: 'who-roles' },
      session.roles.length ? ` (${session.roles.join(', ')})` : ' (no roles)',
    ),
    ' ',
    h('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign out'),
  );
}

async function signOut() {
  await post('/v1/auth/logout').catch(() => undefined);
  session = null;
  announce('Signed out.');
  await navigate('/console/signin', { replace: true });
}

async function loadSession() {
  try {
    const me = await get('/v1/auth/session');
    session = { id: me.id, name: me.name, roles: me.roles };
  } catch {
    session = null;
  }
}

export async function render() {
  const mine = ++renderCount;
  // A new view starts with an empty status line (an announcement made just before lands after this).
  status.textContent = '';
  const path = location.pathname;
  const route = ROUTES.find((r) => r.pattern.test(path));
  if (route?.redirect) return navigate(route.redirect(), { replace: true });
  if (!route) {
    renderChrome(undefined);
    replace(
      main,
      h('h1', { tabindex: '-1' }, 'Page not found'),
      h('p', {}, h('a', { href: '/console/queue' }, 'Go to the proposals')),
    );
    return focusHeading();
  }
  if (!route.public && !session) {
    const next = location.pathname + location.search;
    history.replaceState(null, '', `/console/signin?next=${encodeURIComponent(next)}`);
    return render();
  }
  renderChrome(route.nav);
  const params = route.pattern.exec(path).slice(1).map(decodeURIComponent);
  const view = {
    params,
    query: new URLSearchParams(location.search),
    session,
    hasRole,
    navigate,
    announce,
    isCurrent: () => mine === renderCount,
    signedIn: async (me) => {
      session = me;
      renderChrome(undefined);
    },
  };
  replace(main, h('p', { class: 'loading' }, 'Loading…'));
  try {
    await route.page.render(main, view);
  } catch (err) {
    if (mine !== renderCount) return;
    replace(
      main,
      h('h1', { tabindex: '-1' }, 'Something went wrong'),
      h('p', { role: 'alert', class: 'error' }, err instanceof Error ? err.message : String(err)),
    );
  }
  if (mine === renderCount) focusHeading();
}

function focusHeading() {
  const h1 = main.querySelector('h1');
  if (!h1) return;
  h1.setAttribute('tabindex', '-1');
  h1.focus();
  document.title = `${h1.textContent} · seam console`;
}

// Links inside the console change the view without reloading the page.
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target instanceof Element ? e.target.closest('a[href]') : null;
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (
    url.origin !== location.origin ||
    !url.pathname.startsWith('/console') ||
    url.pathname.startsWith('/console/assets/')
  )
    return;
  e.preventDefault();
  void navigate(url.pathname + url.search);
});

// The skip link moves focus to the content (the URL's hash is the router's business, not its).
document.querySelector('.skip')?.addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});

window.addEventListener('popstate', () => void render());
whenSignedOut(() => {
  if (!session) return;
  session = null;
  announce('Your session has ended. Please sign in again.');
  const next = location.pathname + location.search;
  void navigate(`/console/signin?next=${encodeURIComponent(next)}`, { replace: true });
});
setInterval(tickCountdowns, 15_000);

await loadSession();
await render();
