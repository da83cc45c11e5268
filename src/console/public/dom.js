/* global document, Node */
/**
 * Small DOM and formatting helpers. Everything the API returns is put on the page as text
 * (textContent), never as HTML: an agent's reason or a legacy value cannot inject markup.
 */

/**
 * Create an element: h('a', { href: '/x', class: 'btn' }, 'text', child, [more]).
 * Attributes starting with "on" are event listeners; `false`/`null`/`undefined` attributes are left out.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replace the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** "17000.00" → "17,000.00" without going through a float (money stays exact). */
export function money(amount, currency) {
  if (amount === null || amount === undefined) return '';
  const s = String(amount);
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(s);
  const text = m ? `${m[1] === '-' ? '−' : ''}${m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${m[3] ?? ''}` : s;
  return currency ? `${text} ${currency}` : text;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });
const dayOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'full' });

/** A <time> element showing an ISO instant in the reader's time zone. */
export function when(iso) {
  if (!iso) return '';
  return h('time', { datetime: iso }, dateTime.format(new Date(iso)));
}
export const clock = (iso) => timeOnly.format(new Date(iso));
export const day = (iso) => dayOnly.format(new Date(iso));

/** Today's date in the reader's zone, YYYY-MM-DD (for date fields). */
export function today() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export const localZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** "3 h 12 min", "45 s". */
export function span(ms) {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const hours = Math.floor(min / 60);
  if (hours < 48) return `${hours} h ${min % 60} min`;
  return `${Math.floor(hours / 24)} days ${hours % 24} h`;
}

/**
 * An SLA countdown: "due in 7 h 59 min" or "overdue by 5 min". It is refreshed by `tickCountdowns`
 * (not announced to screen readers on each tick: the due time itself is in the element's title).
 */
export function countdown(iso, label = 'due') {
  const el = h('span', { class: 'countdown', 'data-due': iso, 'data-label': label });
  renderCountdown(el, Date.now());
  return el;
}

function renderCountdown(el, now) {
  const due = Date.parse(el.dataset.due);
  const left = due - now;
  el.classList.toggle('overdue', left < 0);
  el.classList.toggle('soon', left >= 0 && left < 3_600_000);
  el.textContent = left < 0 ? `overdue by ${span(left)}` : `${el.dataset.label} in ${span(left)}`;
  el.title = dateTime.format(new Date(due));
}

export function tickCountdowns() {
  const now = Date.now();
  for (const el of document.querySelectorAll('.countdown[data-due]')) renderCountdown(el, now);
}

/** A value from a record as people read it ('' for none, JSON for objects). */
export function show(v) {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Words for states, as operators say them. */
export const STATE_LABELS = {
  pending_approval: 'Needs approval',
  queued: 'Ready to carry out',
  claimed: 'Being carried out',
  executed: 'Carried out, checking',
  verified: 'Verified',
  mismatch: 'Mismatch',
  failed: 'Failed',
  rejected: 'Rejected',
  expired: 'Expired',
};

export function stateBadge(state) {
  return h('span', { class: `badge state-${state}` }, STATE_LABELS[state] ?? state);
}
