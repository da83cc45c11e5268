/**
 * One proposal: what the agent asks and why, the record before and the expected after side by
 * side, the impact, the approval chain, the operator's steps, what happened, and what seam found
 * when it checked the system of record. The buttons call the proposals area's routes; which ones
 * show depends on the state and the reader's roles, but the server decides (its refusal is shown).
 */
import { get, post } from './api.js';
import { h, money, replace, show, stateBadge, countdown, when } from './dom.js';

const DONE = ['executed', 'verified', 'mismatch'];
const OPEN = ['pending_approval', 'queued', 'claimed'];

function section(title, ...content) {
  const id = `sec-${title.toLowerCase().replace(/[^a-z]+/g, '-')}`;
  return h('section', { 'aria-labelledby': id, class: 'card' }, h('h2', { id }, title), ...content);
}

function person(p) {
  return p ? `${p.name}${p.kind === 'human' ? '' : ` (${p.kind})`}` : '—';
}

function checkLine(label, c) {
  if (!c) return null;
  const words = {
    match: 'matches what was expected',
    mismatch: 'does NOT match what was expected',
    unavailable: 'could not be read',
    pending: 'not checked yet',
    superseded: 'no longer applies (a later change to the record was carried out)',
  };
  return h(
    'li',
    {},
    `${label}: ${words[c.result] ?? c.result}`,
    c.checkedAt ? [' (', when(c.checkedAt), ')'] : '',
    c.source ? h('span', { class: 'muted' }, ` from ${c.source}`) : '',
    c.error ? h('span', { class: 'muted' }, ` — ${c.error}`) : '',
  );
}

function differences(list) {
  return h(
    'table',
    { class: 'diff' },
    h('caption', {}, 'What the system of record shows'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Field', 'Expected', 'Actually in the system'].map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    h(
      'tbody',
      {},
      list.map((d) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, d.field),
          h('td', {}, show(d.expected)),
          h('td', { class: 'bad' }, show(d.actual)),
        ),
      ),
    ),
  );
}

/** The verification banner: the one thing that must stand out once a proposal is carried out. */
function verificationBanner(p) {
  if (!DONE.includes(p.state)) return null;
  const v = p.verification ?? {};
  const checks = h(
    'ul',
    { class: 'checks' },
    checkLine('Live check', v.live),
    checkLine('Next batch file', v.snapshot),
  );
  if (p.state === 'verified')
    return h(
      'div',
      { class: 'banner ok', id: 'verification' },
      h('p', { class: 'banner-title' }, '✔ Verified: the system of record shows the expected values.'),
      p.verifiedAt ? h('p', {}, 'Verified ', when(p.verifiedAt), '.') : null,
      checks,
    );
  if (p.state === 'mismatch') {
    const diffs = [...(v.live?.differences ?? []), ...(v.snapshot?.differences ?? [])];
    return h(
      'div',
      { class: 'banner bad', role: 'alert', id: 'verification' },
      h('p', { class: 'banner-title' }, '✖ Mismatch: the system of record does not show what was expected.'),
      h('p', {}, 'Fix it in the legacy system (or find out why it differs), then check again.'),
      diffs.length ? differences(diffs) : null,
      checks,
    );
  }
  return h(
    'div',
    { class: 'banner wait', id: 'verification' },
    h('p', { class: 'banner-title' }, '⋯ Carried out: seam is checking it against the system of record.'),
    v.escalatedAt
      ? h(
          'p',
          { class: 'bad' },
          'Nothing has confirmed it in time; this was escalated ',
          when(v.escalatedAt),
          '.',
        )
      : null,
    checks,
  );
}

function changesTable(p) {
  return h(
    'table',
    { class: 'beforeafter' },
    h('caption', { class: 'visually-hidden' }, 'Record before and expected after'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Field'),
        h('th', { scope: 'col' }, `Before (version ${p.basedOn.version}, when proposed)`),
        h('th', { scope: 'col' }, 'Expected after'),
      ),
    ),
    h(
      'tbody',
      {},
      p.changes.map((c) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, c.field),
          h('td', { class: 'before' }, show(c.before)),
          h('td', { class: 'after' }, show(c.after)),
        ),
      ),
    ),
  );
}

function approvalChain(p) {
  const steps = p.route.approvalsNeeded;
  return section(
    'Approval chain',
    h('p', {}, `Tier: ${p.route.tier}. `, p.route.why),
    steps.length === 0
      ? h('p', {}, 'No approval needed: it went straight to the operators.')
      : h(
          'ol',
          { class: 'chain' },
          steps.map((need, i) => {
            const a = p.approvals.find((x) => x.step === i);
            return h(
              'li',
              { class: a ? 'done' : 'waiting' },
              `Step ${i + 1}: ${need} — `,
              a
                ? h(
                    'span',
                    {},
                    'approved by ',
                    h('strong', {}, a.by.name),
                    ' ',
                    when(a.at),
                    a.note ? ` — “${a.note}”` : '',
                  )
                : h('span', {}, 'waiting'),
            );
          }),
        ),
    p.state === 'pending_approval' && p.approvalDueAt
      ? h('p', {}, 'Approve by ', when(p.approvalDueAt), ' (', countdown(p.approvalDueAt, 'due'), ')')
      : null,
  );
}

function instructions(p) {
  return section(
    'What the operator does',
    h(
      'ol',
      { class: 'steps' },
      p.instructions.map((s) => h('li', {}, s.screen ? [h('strong', {}, s.screen), ': '] : '', s.text)),
    ),
    (p.state === 'queued' || p.state === 'claimed') && p.executeDueAt
      ? h('p', {}, 'Carry out by ', when(p.executeDueAt), ' (', countdown(p.executeDueAt, 'due'), ')')
      : null,
  );
}

function history(p) {
  const items = [h('li', {}, 'Proposed by ', h('strong', {}, person(p.proposer)), ' ', when(p.createdAt))];
  for (const a of p.approvals)
    items.push(h('li', {}, 'Approved by ', h('strong', {}, a.by.name), ' ', when(a.at)));
  if (p.claimedBy && p.claimedAt)
    items.push(h('li', {}, 'Claimed by ', h('strong', {}, person(p.claimedBy)), ' ', when(p.claimedAt)));
  if (p.execution)
    items.push(
      h(
        'li',
        {},
        `Carried out (${p.execution.mode === 'gated' ? 'by seam, gated write' : 'by hand'}) by `,
        h('strong', {}, person(p.execution.by)),
        ' ',
        when(p.execution.at),
        p.execution.legacyReference
          ? [' — legacy reference ', h('strong', { class: 'ref' }, p.execution.legacyReference)]
          : '',
        p.execution.note ? ` — “${p.execution.note}”` : '',
        p.execution.edits ? ` — done differently: ${JSON.stringify(p.execution.edits)}` : '',
      ),
    );
  if (p.outcome)
    items.push(
      h(
        'li',
        {},
        `${p.state === 'failed' ? 'Failed' : p.state === 'rejected' ? 'Rejected' : 'Closed'} by `,
        h('strong', {}, person(p.outcome.by)),
        ' ',
        when(p.outcome.at),
        p.outcome.reason ? ` — “${p.outcome.reason}”` : '',
      ),
    );
  return section('What happened', h('ol', { class: 'history' }, items));
}

/** A small form for one action: fields, a button, and where its answer goes. */
function actionForm({ id, legend, fields = [], button, danger = false, onSubmit }) {
  const form = h(
    'form',
    { class: `action${danger ? ' danger' : ''}`, id: `action-${id}`, novalidate: true },
    h(
      'fieldset',
      {},
      h('legend', {}, legend),
      fields.map((f) =>
        h(
          'div',
          { class: 'field' },
          h(
            'label',
            { for: `${id}-${f.name}` },
            f.label,
            f.required ? '' : h('span', { class: 'muted' }, ' (optional)'),
          ),
          f.multiline
            ? h('textarea', {
                id: `${id}-${f.name}`,
                name: f.name,
                required: f.required,
                rows: '2',
                maxlength: f.max ?? '2000',
              })
            : h('input', {
                id: `${id}-${f.name}`,
                name: f.name,
                required: f.required,
                maxlength: f.max ?? '2000',
                autocomplete: 'off',
              }),
        ),
      ),
      h('button', { type: 'submit', class: danger ? 'danger' : 'primary' }, button),
    ),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const values = Object.fromEntries(fields.map((f) => [f.name, form.elements[f.name].value.trim()]));
    const missing = fields.find((f) => f.required && !values[f.name]);
    if (missing) {
      form.elements[missing.name].focus();
      form.elements[missing.name].setAttribute('aria-invalid', 'true');
      return;
    }
    void onSubmit(values, form);
  });
  return form;
}

function actions(p, view, act) {
  const me = view.session;
  const mine = p.claimedBy && p.claimedBy.id === me.id;
  const forms = [];
  if (p.stale && OPEN.includes(p.state) && view.hasRole('operator', 'approver', 'admin'))
    forms.push(
      actionForm({
        id: 'recheck',
        legend:
          'The record changed since this was proposed: check the proposal against the record as it is now.',
        button: 'Re-check',
        onSubmit: () => act('recheck', undefined, 'Re-checked.'),
      }),
    );
  if (p.state === 'pending_approval' && view.hasRole('approver'))
    forms.push(
      actionForm({
        id: 'approve',
        legend: 'Approve this step',
        fields: [{ name: 'note', label: 'Note', multiline: true }],
        button: 'Approve',
        onSubmit: (v) => act('approve', v.note ? { note: v.note } : undefined, 'Approved.'),
      }),
    );
  if (p.state === 'queued' && view.hasRole('operator'))
    forms.push(
      actionForm({
        id: 'claim',
        legend: 'Claim it: you are about to carry it out in the legacy system',
        button: 'Claim',
        onSubmit: () => act('claim', undefined, 'Claimed. Follow the steps, then record the outcome.'),
      }),
    );
  if (p.state === 'claimed' && mine && view.hasRole('operator')) {
    forms.push(
      actionForm({
        id: 'execute',
        legend: 'Done in the legacy system? Record it as executed',
        fields: [
          { name: 'reference', label: 'Legacy reference (transaction number)', required: true, max: '100' },
          { name: 'note', label: 'Note', multiline: true },
        ],
        button: 'Mark executed',
        onSubmit: (v) =>
          act(
            'execute',
            { reference: v.reference, ...(v.note ? { note: v.note } : {}) },
            'Recorded as executed. seam will check it against the system of record.',
          ),
      }),
      actionForm({
        id: 'fail',
        legend: 'Could not do it? Record it as failed',
        fields: [{ name: 'reason', label: 'Why it could not be done', required: true, multiline: true }],
        button: 'Mark failed',
        danger: true,
        onSubmit: (v) => act('fail', { reason: v.reason }, 'Recorded as failed.'),
      }),
    );
  }
  if (p.state === 'claimed' && (mine || view.hasRole('admin')) && view.hasRole('operator', 'admin'))
    forms.push(
      actionForm({
        id: 'release',
        legend: 'Give it back to the queue for someone else',
        fields: [{ name: 'reason', label: 'Reason', multiline: true }],
        button: 'Release',
        onSubmit: (v) =>
          act('release', v.reason ? { reason: v.reason } : undefined, 'Released to the queue.'),
      }),
    );
  const rejectable =
    (p.state === 'pending_approval' && view.hasRole('approver', 'admin')) ||
    ((p.state === 'queued' || (p.state === 'claimed' && mine)) && view.hasRole('operator', 'admin'));
  if (rejectable)
    forms.push(
      actionForm({
        id: 'reject',
        legend: 'Reject it',
        fields: [{ name: 'reason', label: 'Reason for rejecting', required: true, multiline: true }],
        button: 'Reject',
        danger: true,
        onSubmit: (v) => act('reject', { reason: v.reason }, 'Rejected.'),
      }),
    );
  if (DONE.includes(p.state) && view.hasRole('operator', 'approver', 'admin'))
    forms.push(
      actionForm({
        id: 'verify',
        legend: 'Check against the system of record now (e.g. after fixing a mismatch)',
        button: 'Check now',
        onSubmit: () => act('verify', undefined, 'Checked.'),
      }),
    );
  if (forms.length === 0) return null;
  return h(
    'section',
    { 'aria-labelledby': 'sec-actions', class: 'card actions' },
    h('h2', { id: 'sec-actions' }, 'Actions'),
    forms,
  );
}

export async function render(main, view) {
  const id = view.params[0];
  const p = await get(`/v1/proposals/${encodeURIComponent(id)}`);
  if (!view.isCurrent()) return;

  const feedback = h('p', { class: 'error', role: 'alert', id: 'action-error' });
  const act = async (verb, body, done) => {
    feedback.textContent = '';
    for (const b of main.querySelectorAll('form.action button')) b.disabled = true;
    try {
      const after = await post(`/v1/proposals/${encodeURIComponent(p.id)}/${verb}`, body);
      const message = `${done} ${after.reference} is now: ${stateWords(after)}.`;
      view.announce(message);
      await render(main, view);
      main.querySelector('h1')?.focus();
    } catch (err) {
      for (const b of main.querySelectorAll('form.action button')) b.disabled = false;
      feedback.textContent = err instanceof Error ? err.message : String(err);
    }
  };

  replace(
    main,
    h(
      'header',
      { class: 'proposal-head' },
      h('p', { class: 'crumbs' }, h('a', { href: `/console/queue?state=${p.state}` }, '← Back to the queue')),
      h('h1', {}, `${p.reference} · ${p.title}`),
      h(
        'p',
        { class: 'subject' },
        p.subject,
        ' · ',
        p.system,
        ' · ',
        stateBadge(p.state),
        p.stale ? h('span', { class: 'badge stale' }, 'Stale: the record changed') : null,
      ),
    ),
    verificationBanner(p),
    h(
      'div',
      { class: 'grid' },
      h(
        'div',
        { class: 'col' },
        section(
          'Why the agent proposes this',
          h('blockquote', { class: 'reason' }, p.reason),
          h('p', { class: 'muted' }, '— ', person(p.proposer), ', ', when(p.createdAt)),
        ),
        section('The change: record before and expected after', changesTable(p)),
        section(
          'Impact',
          h('p', { class: 'impact' }, money(p.impact.amount, p.impact.currency)),
          h('p', {}, p.impact.summary),
          h(
            'p',
            {},
            p.reversal.reversible
              ? 'Reversible.'
              : `Irreversible: ${p.reversal.reason ?? 'cannot be undone'}.`,
          ),
        ),
        instructions(p),
      ),
      h('div', { class: 'col' }, actions(p, view, act), feedback, approvalChain(p), history(p)),
    ),
  );
}

function stateWords(p) {
  return (
    {
      pending_approval: 'waiting for approval',
      queued: 'ready to carry out',
      claimed: 'being carried out',
      executed: 'carried out, being checked',
    }[p.state] ?? p.state.replace('_', ' ')
  );
}
