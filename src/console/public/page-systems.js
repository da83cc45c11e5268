/**
 * The systems page: the kill switch, the mode and its 90-day clock, each legacy system's scope
 * document and endpoint health (breaker, maintenance, readiness, call latency), and the files
 * ingested lately with the rejected ones and the quarantined rows. Each part comes from its own
 * route and fails on its own: a part the reader's role may not see says so instead.
 */
import { ApiError, get, post } from './api.js';
import { h, replace, when } from './dom.js';

const settle = (p) =>
  p.then(
    (value) => ({ value }),
    (error) => ({ error }),
  );

function unavailable(r, what) {
  const e = r.error;
  if (e instanceof ApiError && e.status === 403)
    return h('p', { class: 'muted' }, `Your role cannot see ${what}.`);
  if (e instanceof ApiError && e.status === 404)
    return h('p', { class: 'muted' }, `This seam does not serve ${what}.`);
  return h('p', { class: 'error' }, `Could not load ${what}: ${e instanceof Error ? e.message : String(e)}`);
}

/** Mean legacy call time per system, from the Prometheus histogram on /metrics (since the process started). */
export function latencies(text) {
  const out = {};
  const re = /^seam_legacy_call_duration_seconds_(sum|count)\{([^}]*)\} (\S+)$/gm;
  for (const m of text.matchAll(re)) {
    const system = /(?:^|,)system="([^"]*)"/.exec(m[2])?.[1];
    if (!system) continue;
    const s = (out[system] ??= { sum: 0, count: 0 });
    s[m[1]] += Number(m[3]);
  }
  return out;
}

function targetWords(t) {
  if (t === '*') return 'All agents';
  if (t.startsWith('name:')) return `Agent ${t.slice(5)}`;
  if (t.startsWith('key:')) return `Key ${t.slice(4)}`;
  return t;
}

function liftArg(t) {
  if (t === '*') return '*';
  return t.slice(t.indexOf(':') + 1);
}

function killSwitch(r, view, reload) {
  const isAdmin = view.hasRole('admin');
  const feedback = h('p', { class: 'error', role: 'alert', id: 'kill-error' });
  const body = [];
  if (r.error) body.push(unavailable(r, 'the kill switch state'));
  else {
    const list = r.value.suspensions;
    body.push(
      list.length === 0
        ? h('p', { class: 'state-ok', id: 'kill-state' }, 'Agents are running: nothing is suspended.')
        : h(
            'div',
            { id: 'kill-state' },
            h(
              'p',
              { class: 'state-bad' },
              list.some((s) => s.target === '*') ? 'ALL AGENTS ARE STOPPED.' : 'Some agents are stopped.',
            ),
            h(
              'ul',
              { class: 'suspensions' },
              list.map((s) =>
                h(
                  'li',
                  {},
                  h('strong', {}, targetWords(s.target)),
                  ' — stopped by ',
                  s.createdBy,
                  ' ',
                  when(s.createdAt),
                  s.reason ? ` — “${s.reason}”` : '',
                  isAdmin
                    ? [
                        ' ',
                        h(
                          'button',
                          {
                            type: 'button',
                            onclick: async () => {
                              try {
                                await post('/v1/admin/unkill', { agent: liftArg(s.target) });
                                view.announce(`Lifted: ${targetWords(s.target)} may use seam again.`);
                                await reload();
                              } catch (err) {
                                feedback.textContent = err.message;
                              }
                            },
                          },
                          `Lift for ${targetWords(s.target).toLowerCase()}`,
                        ),
                      ]
                    : '',
                ),
              ),
            ),
          ),
    );
  }
  if (!isAdmin) {
    body.push(h('p', { class: 'muted' }, 'Only administrators can use the kill switch.'));
    return h(
      'section',
      { 'aria-labelledby': 'sec-kill', class: 'card kill' },
      h('h2', { id: 'sec-kill', tabindex: '-1' }, 'Kill switch'),
      body,
    );
  }

  // The confirmation dialog: stopping agents is one click away only after saying yes here.
  const agent = h('input', {
    id: 'kill-agent',
    name: 'agent',
    autocomplete: 'off',
    'aria-describedby': 'kill-agent-hint',
  });
  const reason = h('input', { id: 'kill-reason', name: 'reason', autocomplete: 'off', maxlength: '500' });
  const confirm = h('button', { type: 'submit', class: 'danger', value: 'confirm' }, 'Yes, stop all agents');
  const cancel = h('button', { type: 'button', value: 'cancel' }, 'Cancel');
  agent.addEventListener('input', () => {
    confirm.textContent = agent.value.trim() ? `Yes, stop ${agent.value.trim()}` : 'Yes, stop all agents';
  });
  const form = h(
    'form',
    {},
    h('h2', { id: 'kill-title' }, 'Stop agent access?'),
    h(
      'p',
      { id: 'kill-desc' },
      'Every request from the agents you stop is refused within a second, in every seam process. People are not affected, and you can lift it again here.',
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'kill-agent' }, 'Agent name or key id'),
      agent,
      h('p', { class: 'hint', id: 'kill-agent-hint' }, 'Leave empty to stop ALL agents.'),
    ),
    h('div', { class: 'field' }, h('label', { for: 'kill-reason' }, 'Reason'), reason),
    h('div', { class: 'buttons' }, confirm, cancel),
  );
  const dialog = h(
    'dialog',
    { id: 'kill-dialog', 'aria-labelledby': 'kill-title', 'aria-describedby': 'kill-desc' },
    form,
  );
  cancel.addEventListener('click', () => dialog.close());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    confirm.disabled = true;
    const who = agent.value.trim();
    try {
      await post('/v1/admin/kill', {
        ...(who ? { agent: who } : {}),
        ...(reason.value.trim() ? { reason: reason.value.trim() } : {}),
      });
      dialog.close();
      view.announce(who ? `${who} is stopped.` : 'All agents are stopped.');
      await reload();
    } catch (err) {
      confirm.disabled = false;
      feedback.textContent = err.message;
      dialog.close();
    }
  });
  const open = h(
    'button',
    {
      type: 'button',
      class: 'danger',
      onclick: () => {
        agent.value = '';
        reason.value = '';
        confirm.textContent = 'Yes, stop all agents';
        confirm.disabled = false;
        dialog.showModal();
      },
    },
    'Stop agents…',
  );
  const liftAll =
    !r.error && r.value.suspensions.length > 1
      ? h(
          'button',
          {
            type: 'button',
            onclick: async () => {
              try {
                await post('/v1/admin/unkill');
                view.announce('Every suspension is lifted.');
                await reload();
              } catch (err) {
                feedback.textContent = err.message;
              }
            },
          },
          'Lift every suspension',
        )
      : null;
  return h(
    'section',
    { 'aria-labelledby': 'sec-kill', class: 'card kill' },
    h('h2', { id: 'sec-kill', tabindex: '-1' }, 'Kill switch'),
    body,
    h('p', { class: 'buttons' }, open, liftAll),
    feedback,
    dialog,
  );
}

function modeSection(r) {
  if (r.error) return h('section', { class: 'card' }, h('h2', {}, 'Mode'), unavailable(r, 'the mode'));
  const m = r.value;
  const words = {
    'read-only': 'Read-only: agents read; proposals are refused.',
    proposal: 'Proposal mode: agents propose, people approve and carry out by hand, seam verifies.',
    'gated-write': 'Gated write: for the types switched on, seam carries out approved proposals itself.',
  };
  return h(
    'section',
    { 'aria-labelledby': 'sec-mode', class: 'card' },
    h('h2', { id: 'sec-mode' }, 'Mode'),
    h('p', { class: 'mode', id: 'mode-line' }, h('strong', {}, m.mode), ` — day ${m.day} of ${m.of}`),
    h('p', {}, words[m.mode] ?? ''),
    h('p', { class: 'muted' }, `Go-live ${m.goLive}; ${m.daysLeft} days of the proposal period left.`),
    m.gatedTypes.length
      ? h('p', {}, `Carried out by seam: ${m.gatedTypes.map((g) => g.type).join(', ')}.`)
      : null,
  );
}

function systemSection(s, ready, lat) {
  const check = ready?.checks?.[`legacy:${s.system}`];
  const l = lat?.[s.system];
  const breakerWords = {
    closed: 'closed (calls go through)',
    half_open: 'half-open (testing the endpoint again)',
    open: 'OPEN (calls are refused)',
  };
  const id = `sys-${s.system}`;
  return h(
    'section',
    { 'aria-labelledby': id, class: 'card system' },
    h('h2', { id }, `${s.title ?? s.system}`, h('span', { class: 'muted' }, ` (${s.system})`)),
    h('h3', {}, 'Scope'),
    h(
      'dl',
      { class: 'scope' },
      h('dt', {}, 'System of record'),
      h('dd', {}, s.scope.systemOfRecord),
      h('dt', {}, 'Agents may read'),
      h('dd', {}, s.scope.readScope),
      h('dt', {}, 'Agents may change (by proposal)'),
      h('dd', {}, s.scope.writeScope),
      h('dt', {}, 'Who is paged'),
      h('dd', {}, s.scope.escalation),
    ),
    s.day !== undefined ? h('p', {}, `Mode ${s.mode}, day ${s.day} of ${s.of}.`) : null,
    h('h3', {}, 'Legacy endpoint'),
    h(
      'dl',
      { class: 'health' },
      h('dt', {}, 'Endpoint'),
      h(
        'dd',
        {},
        { configured: 'configured', simulator: 'built-in simulator', none: 'none (stored records only)' }[
          s.legacy.endpoint
        ] ?? s.legacy.endpoint,
      ),
      h('dt', {}, 'Circuit breaker'),
      h(
        'dd',
        { class: s.legacy.breaker === 'open' ? 'bad' : s.legacy.breaker === 'half_open' ? 'warn' : '' },
        s.legacy.breaker ? breakerWords[s.legacy.breaker] : 'not in use',
      ),
      h('dt', {}, 'Maintenance window'),
      h(
        'dd',
        {},
        s.legacy.maintenance.active
          ? ['in maintenance until ', when(s.legacy.maintenance.until)]
          : 'not in maintenance',
      ),
      h('dt', {}, 'Reachable'),
      h(
        'dd',
        { class: check?.status === 'down' ? 'bad' : '' },
        check ? (check.status === 'ok' ? 'yes' : `no — ${check.detail ?? ''}`) : '—',
      ),
      h('dt', {}, 'Average call time'),
      h(
        'dd',
        {},
        l && l.count > 0
          ? `${Math.round((l.sum / l.count) * 1000)} ms over ${l.count} calls since seam started`
          : 'no calls yet',
      ),
    ),
    h('h3', {}, 'Resources'),
    h(
      'ul',
      { class: 'resources' },
      s.resources.map((r) =>
        h('li', {}, `${r.name} (key ${r.key}${r.live ? ', live reads' : ''}${r.polled ? ', polled' : ''})`),
      ),
    ),
  );
}

function filesTable(files, caption) {
  return h(
    'table',
    { class: 'files' },
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        [
          'File',
          'Feed',
          'Business date',
          'Status',
          'Rows',
          'Quarantined',
          'Changes',
          'Finished',
          'Reason',
        ].map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    h(
      'tbody',
      {},
      files.map((f) =>
        h(
          'tr',
          { class: f.status === 'rejected' ? 'row-alert' : false },
          h('th', { scope: 'row' }, f.fileName),
          h('td', {}, f.feed ?? '—'),
          h('td', {}, f.businessDate ?? '—'),
          h('td', {}, h('span', { class: `badge file-${f.status}` }, f.status)),
          h('td', { class: 'num' }, String(f.rows.total)),
          h('td', { class: f.rows.quarantined ? 'num warn' : 'num' }, String(f.rows.quarantined)),
          h('td', {}, `${f.changes.created} new, ${f.changes.updated} changed, ${f.changes.deleted} deleted`),
          h('td', {}, when(f.finishedAt)),
          h('td', {}, f.reason ? `${f.reasonCode ?? ''} ${f.reason}`.trim() : '—'),
        ),
      ),
    ),
  );
}

function quarantineTable(rows, fileName) {
  return h(
    'table',
    { class: 'quarantine' },
    h('caption', {}, `Quarantined rows of ${fileName}`),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Line', 'Record key', 'Field', 'Reason'].map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((q) =>
        h(
          'tr',
          {},
          h('td', { class: 'num' }, String(q.line)),
          h('td', {}, q.key ?? '—'),
          h('td', {}, q.field ?? '—'),
          h('td', {}, `${q.reasonCode}: ${q.reason}`),
        ),
      ),
    ),
  );
}

async function ingestSection(view) {
  const [recent, rejected] = await Promise.all([
    settle(get('/v1/ingest/files?limit=10')),
    settle(get('/v1/ingest/files?status=rejected&limit=5')),
  ]);
  const parts = [h('h2', { id: 'sec-ingest' }, 'Files ingested')];
  if (recent.error) parts.push(unavailable(recent, 'the ingest ledger'));
  else {
    const files = recent.value.files;
    parts.push(
      files.length ? filesTable(files, 'The 10 newest files') : h('p', {}, 'No files ingested yet.'),
    );
    if (!rejected.error && rejected.value.files.length)
      parts.push(filesTable(rejected.value.files, 'Rejected files (newest 5)'));
    // The quarantined rows of the newest files that had any (a few files, 20 rows each).
    const withBad = files.filter((f) => f.rows.quarantined > 0).slice(0, 3);
    const bad = await Promise.all(
      withBad.map((f) => settle(get(`/v1/ingest/quarantine?file=${f.id}&limit=20`))),
    );
    if (!view.isCurrent()) return null;
    withBad.forEach((f, i) => {
      const r = bad[i];
      if (r.error) parts.push(unavailable(r, 'the quarantined rows'));
      else parts.push(quarantineTable(r.value.rows, f.fileName));
    });
  }
  return h('section', { 'aria-labelledby': 'sec-ingest', class: 'card ingest' }, parts);
}

export async function render(main, view) {
  const [mode, systems, kill, ready, metrics] = await Promise.all([
    settle(get('/v1/mode')),
    settle(get('/v1/systems')),
    settle(get('/v1/admin/kill')),
    settle(get('/readyz')).then((r) => (r.error?.status === 503 ? { value: r.error.body } : r)),
    settle(get('/metrics')),
  ]);
  const ingest = await ingestSection(view);
  if (!view.isCurrent()) return;
  const lat = metrics.error ? undefined : latencies(String(metrics.value));
  replace(
    main,
    h('h1', {}, 'Systems'),
    killSwitch(kill, view, () => render(main, view).then(() => main.querySelector('#sec-kill')?.focus())),
    modeSection(mode),
    systems.error
      ? h('section', { class: 'card' }, h('h2', {}, 'Legacy systems'), unavailable(systems, 'the systems'))
      : systems.value.systems.map((s) => systemSection(s, ready.value, lat)),
    ingest,
  );
}
