/**
 * The proposal queue, one state (or all) at a time, newest first, 50 a page. Paging and filtering
 * happen on the server (GET /v1/proposals?state=&target=&before=&limit=), so the page stays fast
 * however many proposals there are.
 */
import { get, qs } from './api.js';
import { countdown, h, money, replace, STATE_LABELS, stateBadge, when } from './dom.js';

export const PAGE_SIZE = 50;

const TABS = [
  { state: 'pending_approval', label: 'Needs approval' },
  { state: 'queued', label: 'Ready to carry out' },
  { state: 'claimed', label: 'Being carried out' },
  { state: 'executed', label: 'Checking' },
  { state: 'mismatch', label: 'Mismatch' },
  { state: 'verified', label: 'Verified' },
  { state: 'failed,rejected,expired', label: 'Closed' },
  { state: '', label: 'All' },
];

function defaultState(view) {
  if (view.hasRole('approver')) return 'pending_approval';
  if (view.hasRole('operator')) return 'queued';
  return 'pending_approval';
}

/** The deadline that matters in this state, if any. */
function sla(p) {
  if (p.state === 'pending_approval' && p.approvalDueAt) return countdown(p.approvalDueAt, 'approve');
  if ((p.state === 'queued' || p.state === 'claimed') && p.executeDueAt)
    return countdown(p.executeDueAt, 'carry out');
  return '—';
}

export async function render(main, view) {
  const state = view.query.has('state') ? view.query.get('state') : defaultState(view);
  const target = view.query.get('target') ?? '';
  const before = view.query.get('before') ?? '';
  const tab = TABS.find((t) => t.state === state);
  const url = (o) => `/console/queue${qs({ state, target, ...o })}`;

  const [list, { counts, total }] = await Promise.all([
    get(`/v1/proposals${qs({ state, target, before, limit: PAGE_SIZE })}`),
    get(`/v1/proposals/counts${qs({ target })}`),
  ]);
  if (!view.isCurrent()) return;
  /** How many a tab holds: its states summed, or everything for "All". */
  const countOf = (t) => (t.state ? t.state.split(',').reduce((n, st) => n + (counts[st] ?? 0), 0) : total);

  const tabs = h(
    'nav',
    { 'aria-label': 'Proposal states', class: 'tabs' },
    h(
      'ul',
      {},
      TABS.map((t) =>
        h(
          'li',
          {},
          h(
            'a',
            {
              href: `/console/queue${qs({ state: t.state, target })}`,
              'aria-current': t.state === state ? 'page' : false,
              class: t.state === 'mismatch' ? 'tab-alert' : false,
            },
            t.label,
            ' ',
            h('span', { class: 'tab-count' }, `(${countOf(t)})`),
          ),
        ),
      ),
    ),
  );

  const targetInput = h('input', {
    id: 'queue-target',
    name: 'target',
    value: target,
    placeholder: 'accounts/004471',
    'aria-describedby': 'queue-target-hint',
  });
  const filter = h(
    'form',
    { class: 'filter', role: 'search', 'aria-label': 'Filter proposals' },
    h('label', { for: 'queue-target' }, 'Record'),
    targetInput,
    h('button', { type: 'submit' }, 'Filter'),
    target ? h('a', { href: url({ target: '' }) }, 'Clear') : null,
    h(
      'span',
      { class: 'hint', id: 'queue-target-hint' },
      'The record as the queue shows it, or just its key',
    ),
  );
  filter.addEventListener('submit', (e) => {
    e.preventDefault();
    void view.navigate(url({ target: targetInput.value.trim() }));
  });

  const rows = list.items.map((p) =>
    h(
      'tr',
      { class: p.state === 'mismatch' ? 'row-alert' : false },
      h(
        'th',
        { scope: 'row' },
        h('a', { href: `/console/proposals/${encodeURIComponent(p.reference)}` }, p.reference),
      ),
      h('td', {}, p.title),
      h('td', {}, p.subject),
      h('td', { class: 'num' }, money(p.impact.amount, p.impact.currency)),
      h('td', {}, p.proposer.name, h('span', { class: 'muted' }, ` (${p.proposer.kind})`)),
      h('td', {}, when(p.createdAt)),
      h('td', {}, sla(p)),
      h(
        'td',
        {},
        stateBadge(p.state),
        p.stale ? h('span', { class: 'badge stale' }, 'Stale: re-check') : null,
      ),
    ),
  );

  const heading = tab
    ? `Proposals: ${tab.label}`
    : `Proposals: ${state
        .split(',')
        .map((s) => STATE_LABELS[s] ?? s)
        .join(', ')}`;
  replace(
    main,
    h('h1', {}, heading),
    tabs,
    filter,
    list.items.length === 0
      ? h('p', { class: 'empty' }, before ? 'No older proposals.' : 'Nothing here.')
      : h(
          'table',
          { class: 'queue' },
          h('caption', { class: 'visually-hidden' }, `${heading}, newest first`),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Reference', 'What', 'Record', 'Impact', 'Proposed by', 'Proposed', 'Deadline', 'State'].map(
                (c) => h('th', { scope: 'col' }, c),
              ),
            ),
          ),
          h('tbody', {}, rows),
        ),
    h(
      'nav',
      { 'aria-label': 'Pages', class: 'pager' },
      before ? h('a', { href: url({ before: '' }) }, '← Newest') : null,
      list.next_before ? h('a', { href: url({ before: list.next_before }), rel: 'next' }, 'Older →') : null,
    ),
  );
  view.announce(`${list.items.length} proposal${list.items.length === 1 ? '' : 's'} shown.`);
}
