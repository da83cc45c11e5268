/**
 * Audit search for people who are not engineers: agent (or person), record, from, to, as plain
 * fields; the answer as a timeline in words, newest first, and the same search as a CSV download.
 * Dates are whole days in the reader's own time zone (sent as `tz`). GET /v1/audit does the work.
 */
import { get, qs } from './api.js';
import { clock, day, h, localZone, replace, today } from './dom.js';

const FIELDS = ['actor', 'record', 'from', 'to'];
const PAGE = 100;

const PROPOSAL_WORDS = {
  proposed: 'proposed a change',
  approved: 'approved a proposal',
  queued: 'put a proposal in the operators’ queue',
  claimed: 'claimed a proposal to carry it out',
  released: 'gave a proposal back to the queue',
  executed: 'recorded a proposal as carried out',
  verified: 'confirmed a proposal against the system of record',
  mismatch: 'found that a proposal does not match the system of record',
  failed: 'recorded a proposal as failed',
  rejected: 'rejected a proposal',
  expired: 'let a proposal expire',
  escalated: 'escalated a proposal',
  stale: 'marked a proposal stale (its record changed)',
  rechecked: 're-checked a proposal',
  rollback_planned: 'planned the reversal of a proposal',
  write_uncertain: 'could not tell whether its own write went through',
};

const OTHER_WORDS = {
  'kill.on': 'stopped agent access (kill switch)',
  'kill.off': 'restored agent access (kill switch lifted)',
  'key.create': 'created an agent key',
  'key.revoke': 'revoked an agent key',
  'key.rotate': 'rotated an agent key',
  'user.create': 'created a person’s account',
  'mode.change': 'changed seam’s mode',
};

/** One audit action in words: `proposal.approved`, `GET /v1/accounts/:id`, `kill.on`, ... */
export function describe(action) {
  if (action.startsWith('proposal.'))
    return PROPOSAL_WORDS[action.slice(9)] ?? `proposal: ${action.slice(9)}`;
  if (OTHER_WORDS[action]) return OTHER_WORDS[action];
  const m = /^(GET|POST|PUT|PATCH|DELETE) (\S+)$/.exec(action);
  if (!m) return action;
  const [, method, route] = m;
  const parts = route.split('/').filter(Boolean).slice(1); // drop "v1"
  const [what, id, verb] = parts;
  if (what === 'proposals' && method === 'POST' && !id) return 'sent a proposal';
  if (what === 'proposals' && method === 'POST' && verb) return `asked to ${verb} a proposal`;
  if (what === 'proposals' && method === 'GET')
    return id ? 'looked at a proposal' : 'looked at the proposal list';
  if (what === 'audit') return 'searched the audit trail';
  if (what === 'events') return 'read change events';
  if (method === 'GET' && id) return `read one record of ${what}`;
  if (method === 'GET') return `listed ${what ?? 'something'}`;
  return `${method.toLowerCase()} ${route}`;
}

function recordLink(r) {
  const m = /^proposals\/(.+)$/.exec(r);
  return m
    ? h('a', { href: `/console/proposals/${encodeURIComponent(m[1])}` }, r)
    : h('span', { class: 'record' }, r);
}

function entry(e) {
  return h(
    'li',
    { class: `entry${e.decision === 'denied' ? ' denied' : ''}` },
    h('time', { datetime: e.at, class: 'entry-time' }, clock(e.at)),
    h(
      'div',
      { class: 'entry-body' },
      h(
        'p',
        {},
        h('strong', {}, e.actor.name),
        h('span', { class: 'muted' }, ` (${e.actor.kind})`),
        ' ',
        describe(e.action),
      ),
      e.records.length
        ? h(
            'p',
            { class: 'entry-records' },
            'Records: ',
            e.records.map((r, i) => [i ? ', ' : '', recordLink(r)]),
          )
        : null,
      e.decision === 'denied'
        ? h(
            'p',
            { class: 'bad' },
            `Refused${e.reason ? `: ${e.reason}` : ''}${e.status ? ` (HTTP ${e.status})` : ''}`,
          )
        : null,
      h('p', { class: 'entry-raw muted' }, e.action),
    ),
  );
}

/** Entries grouped under a heading per day (in the reader's zone). */
function timeline(items, list) {
  let current = list.lastElementChild?.dataset.day;
  let ol = list.lastElementChild?.querySelector('ol');
  for (const e of items) {
    const d = day(e.at);
    if (d !== current) {
      current = d;
      ol = h('ol', { class: 'entries' });
      list.append(h('li', { class: 'day', 'data-day': d }, h('h3', {}, d), ol));
    }
    ol.append(entry(e));
  }
}

export async function render(main, view) {
  if (!view.hasRole('auditor', 'admin')) {
    replace(
      main,
      h('h1', {}, 'Audit trail'),
      h(
        'p',
        {},
        'The audit trail is open to auditors and administrators. Ask one of them, or an admin to give you the auditor role.',
      ),
    );
    return;
  }
  const values = Object.fromEntries(FIELDS.map((f) => [f, view.query.get(f) ?? '']));
  const searched = FIELDS.some((f) => values[f]);
  const tz = localZone();

  const field = (name, label, attrs, hint) =>
    h(
      'div',
      { class: 'field' },
      h('label', { for: `audit-${name}` }, label),
      h('input', {
        id: `audit-${name}`,
        name,
        value: values[name],
        ...(hint ? { 'aria-describedby': `audit-${name}-hint` } : {}),
        ...attrs,
      }),
      hint ? h('p', { class: 'hint', id: `audit-${name}-hint` }, hint) : null,
    );
  const form = h(
    'form',
    { class: 'audit-search', role: 'search', 'aria-label': 'Search the audit trail' },
    h(
      'div',
      { class: 'fields' },
      field(
        'actor',
        'Agent or person',
        { autocomplete: 'off' },
        'The agent’s or person’s name, e.g. pricing-agent',
      ),
      field(
        'record',
        'Record',
        { autocomplete: 'off' },
        'e.g. accounts/4471 (leading zeros optional), or just 4471',
      ),
      field('from', 'From', { type: 'date', max: today() }, null),
      field('to', 'To', { type: 'date' }, null),
    ),
    h('p', { class: 'hint' }, `From and to are whole days in your time zone (${tz}), both included.`),
    h('button', { type: 'submit', class: 'primary' }, 'Search'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = Object.fromEntries(FIELDS.map((f) => [f, form.elements[f].value.trim()]));
    void view.navigate(`/console/audit${qs(q)}`);
  });

  const results = h('section', { 'aria-labelledby': 'audit-results', class: 'results' });
  replace(main, h('h1', {}, 'Audit trail'), form, results);
  if (!searched) {
    replace(
      results,
      h('h2', { id: 'audit-results' }, 'Results'),
      h('p', {}, 'Fill in any of the fields and press Search.'),
    );
    return;
  }

  const filter = { ...values, tz };
  const page = await get(`/v1/audit${qs({ ...filter, limit: PAGE })}`);
  if (!view.isCurrent()) return;
  const list = h('ol', { class: 'timeline', 'aria-label': 'Audit entries, newest first' });
  timeline(page.items, list);
  let shown = page.items.length;
  const count = h('p', { class: 'count' });
  const setCount = (more) => {
    count.textContent =
      shown === 0
        ? 'No entries match.'
        : `${shown} entr${shown === 1 ? 'y' : 'ies'}${more ? ' shown; there are more' : ''}, newest first.`;
  };
  setCount(page.nextCursor !== null);
  const more = h('button', { type: 'button' }, 'Show more');
  let cursor = page.nextCursor;
  more.hidden = cursor === null;
  more.addEventListener('click', async () => {
    more.disabled = true;
    const next = await get(`/v1/audit${qs({ ...filter, limit: PAGE, cursor })}`);
    timeline(next.items, list);
    shown += next.items.length;
    cursor = next.nextCursor;
    more.hidden = cursor === null;
    more.disabled = false;
    setCount(cursor !== null);
    view.announce(count.textContent);
  });
  replace(
    results,
    h('h2', { id: 'audit-results' }, 'Results'),
    count,
    h(
      'p',
      {},
      h(
        'a',
        { href: `/v1/audit${qs({ ...filter, format: 'csv' })}`, download: 'audit.csv', class: 'button' },
        'Download all matching entries as CSV',
      ),
    ),
    list,
    more,
  );
  view.announce(count.textContent);
}
