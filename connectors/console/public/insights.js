/* global echarts */
// The insights page: four panels from /api/insights/*, charts drawn with Apache ECharts (served locally).
const params = new URLSearchParams(window.location.search);
const token = params.get('token') ?? '';
const customer = params.get('customer') ?? '';
const sinceSelect = document.getElementById('since');
const bySelect = document.getElementById('by');
const statusNode = document.getElementById('status');
if (params.get('since')) {
  if (![...sinceSelect.options].some((o) => o.value === params.get('since')))
    sinceSelect.append(new Option(params.get('since'), params.get('since')));
  sinceSelect.value = params.get('since');
}
if (customer) bySelect.value = 'all';

const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
};
const minutes = (m) =>
  m === null || m === undefined ? '–' : m < 60 ? `${Math.round(m)} min` : `${(m / 60).toFixed(1)} h`;
const pct = (x) => (x === null || x === undefined ? '–' : `${Math.round(x * 100)}%`);
const query = (extra = {}) => {
  const q = new URLSearchParams({ since: sinceSelect.value, ...extra });
  if (customer) q.set('customer', customer);
  if (token) q.set('token', token);
  return q.toString();
};
async function api(path, extra) {
  const res = await fetch(`/api/insights/${path}?${query(extra)}`, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    credentials: 'same-origin',
  });
  const data = await res.json();
  if (!res.ok) throw new Error(data.error ?? `HTTP ${res.status}`);
  return data;
}
const charts = {};
function chart(id, option) {
  charts[id] ??= echarts.init(document.getElementById(id), null, { renderer: 'svg' });
  charts[id].setOption(option, true);
}
window.addEventListener('resize', () => {
  for (const c of Object.values(charts)) c.resize();
});
const timelineLink = (id, name) => {
  const a = el('a', '', name);
  a.href = `/console/timeline?customer=${encodeURIComponent(id)}${token ? `&token=${encodeURIComponent(token)}` : ''}`;
  return a;
};

// Tooltips are HTML: names come from customers' messages and mail headers.
const esc = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const count = (n) => Number(n).toLocaleString('en-US');
const sampled = (g) => g.sampled < g.total;
// A topic's messages in the whole period: the sample's count is never shown as the period's.
const topicMessages = (t, g) => `${sampled(g) ? '~' : ''}${count(t.estimatedMessages)}`;
const share = (x) => Math.round(x * 1000) / 10;

function renderTopics(data) {
  const g = data.overall;
  const topics = g.topics;
  const box = document.getElementById('topics');
  const compared = g.previousTotal > 0;
  box.replaceChildren(
    el(
      'div',
      'muted',
      `${count(g.total)} customer messages and logged calls/notes${sampled(g) ? `; topic counts estimated from a sample of ${count(g.sampled)}` : ''}; ${compared ? `previous period ${count(g.previousTotal)}` : 'new: no earlier period to compare'}`,
    ),
  );
  // Shares, not counts: each period is read through its own sample, and two samples' counts do not compare.
  chart('topics-chart', {
    tooltip: {
      trigger: 'axis',
      formatter: (params) =>
        [
          esc(params[0]?.name ?? ''),
          ...params.map((p) => {
            const t = topics[p.dataIndex];
            return p.seriesIndex === 0
              ? `${esc(p.seriesName)}: ${p.value}% (${topicMessages(t, g)} messages)`
              : `${esc(p.seriesName)}: ${p.value}%`;
          }),
        ].join('<br>'),
    },
    legend: { data: compared ? ['this period', 'previous period'] : ['this period'] },
    grid: { left: 8, right: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', name: '% of messages' },
    yAxis: {
      type: 'category',
      inverse: true,
      data: topics.map((t) => (t.emerging ? `★ ${t.name}` : t.name)),
      axisLabel: { width: 140, overflow: 'truncate' },
    },
    series: [
      { name: 'this period', type: 'bar', data: topics.map((t) => share(t.share)) },
      ...(compared ? [{ name: 'previous period', type: 'bar', data: topics.map((t) => share(t.previousShare)) }] : []),
    ],
  });
  for (const t of topics) {
    const row = el('div', 'topic');
    if (t.emerging) row.append(el('span', 'tag', 'emerging'));
    row.append(
      el('strong', '', t.name),
      el(
        'span',
        'muted',
        ` ${topicMessages(t, g)} messages (${share(t.share)}%)${compared ? `, ${t.trendPoints >= 0 ? '+' : ''}${t.trendPoints} pts` : ''}`,
      ),
    );
    for (const ex of t.examples) row.append(el('div', 'muted', `“${ex.text}”`));
    box.append(row);
  }
  if (topics.length === 0) box.append(el('div', 'muted', 'Too few messages to find topics.'));
}

function renderHealth(data) {
  const box = document.getElementById('health');
  box.replaceChildren(el('div', 'muted', `${data.atRiskCount} at risk of ${data.scored} customers scored`));
  for (const c of data.customers.slice(0, customer ? 1 : 25)) {
    if (!customer && !c.atRisk) break;
    const row = el('div', 'risk');
    const head = el('div');
    head.append(timelineLink(c.companyId, c.name), el('span', 'muted', ` health ${c.health}/100 · risk ${c.risk}`));
    row.append(head);
    const list = el('ul');
    for (const r of c.reasons) list.append(el('li', '', `+${r.points} ${r.text}`));
    row.append(list);
    box.append(row);
  }
}

function renderResponse(data) {
  const reps = data.byRep.filter((s) => s.kind === 'all');
  const channels = data.byChannel.filter((s) => s.kind === 'all');
  const groups = [
    ...channels.map((s) => ({ ...s, name: `channel ${s.group}` })),
    ...reps.map((s) => ({ ...s, name: s.group })),
  ];
  // A group nobody answered has no median: no bar (a 0 bar read as the fastest), "no replies" by its name.
  const label = (g) => (g.medianMinutes === null || g.medianMinutes === undefined ? `${g.name} (no replies)` : g.name);
  chart('response-chart', {
    tooltip: {
      trigger: 'axis',
      formatter: (params) => {
        const g = groups[params[0]?.dataIndex];
        if (!g) return '';
        return g.medianMinutes === null || g.medianMinutes === undefined
          ? `${esc(g.name)}: no replies (${g.turns} waiting or unanswered)`
          : `${esc(g.name)}<br>median ${minutes(g.medianMinutes)}, p90 ${minutes(g.p90Minutes)}<br>${g.answered} replies`;
      },
    },
    grid: { left: 8, right: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', name: 'business min' },
    yAxis: {
      type: 'category',
      inverse: true,
      data: groups.map(label),
      axisLabel: { width: 120, overflow: 'truncate' },
    },
    series: [
      {
        name: 'median',
        type: 'bar',
        data: groups.map((g) => g.medianMinutes ?? null),
        markLine: {
          symbol: 'none',
          data: [{ xAxis: data.targetMinutes, name: 'target' }],
          label: { formatter: 'target', position: 'insideEndTop' },
        },
      },
      { name: 'p90', type: 'bar', data: groups.map((g) => g.p90Minutes ?? null) },
    ],
  });
  const table = el('table');
  const head = el('tr');
  for (const h of ['', 'turns', 'answered', 'median', 'p90', 'within target', 'waiting']) head.append(el('th', '', h));
  table.append(head);
  for (const s of data.overall) {
    const tr = el('tr');
    for (const v of [
      `${s.kind} response`,
      s.turns,
      s.answered,
      minutes(s.medianMinutes),
      minutes(s.p90Minutes),
      pct(s.withinTargetShare),
      s.overdue,
    ])
      tr.append(el('td', '', v));
    table.append(tr);
  }
  document
    .getElementById('response')
    .replaceChildren(
      el('div', 'muted', `Target ${minutes(data.targetMinutes)} in business hours ${data.businessHours}`),
      table,
    );
}

const DAY_MS = 86_400_000;
/**
 * Every bucket of the period, empty ones included, so a quiet week shows as a gap and not as two days
 * side by side: UTC days (weeks from Monday, UTC) as the API buckets them.
 */
function periodBuckets(period, unit) {
  const from = new Date(period.from).getTime();
  const to = new Date(period.to).getTime();
  let start = Math.floor(from / DAY_MS) * DAY_MS;
  if (unit === 'week') start -= ((new Date(start).getUTCDay() + 6) % 7) * DAY_MS;
  const step = unit === 'week' ? 7 * DAY_MS : DAY_MS;
  const buckets = [];
  for (let at = start; at < to; at += step) buckets.push(new Date(at).toISOString().slice(0, 10));
  return buckets;
}

function renderSatisfaction(data) {
  const buckets = periodBuckets(data.period, data.unit);
  chart('satisfaction-chart', {
    tooltip: {
      trigger: 'axis',
      formatter: (params) => {
        const shown = params.filter((p) => p.data);
        if (shown.length === 0) return `${esc(params[0]?.name ?? '')}<br>no scored messages`;
        return [
          esc(params[0].name),
          ...shown.map(
            (p) => `${esc(p.seriesName)}: ${p.data.value} (${p.data.n} ${p.data.n === 1 ? 'message' : 'messages'})`,
          ),
        ].join('<br>');
      },
    },
    legend: { type: 'scroll' },
    grid: { left: 8, right: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: buckets, name: data.unit === 'week' ? 'week (UTC)' : 'day (UTC)' },
    yAxis: { type: 'value', min: -1, max: 1 },
    series: data.series.map((s) => {
      const at = new Map(s.points.map((p) => [p.bucket.slice(0, 10), p]));
      return {
        name: s.group,
        type: 'line',
        connectNulls: false,
        showAllSymbol: true,
        data: buckets.map((b) => (at.has(b) ? { value: at.get(b).mean, n: at.get(b).n } : null)),
      };
    }),
  });
}

async function load() {
  statusNode.textContent = 'Loading…';
  document.getElementById('download-csv').href = `/api/insights/report?${query({ format: 'csv' })}`;
  const results = await Promise.allSettled([
    api('topics').then(renderTopics),
    api('health').then((d) => {
      if (d.customer) document.getElementById('customer-name').textContent = ` · ${d.customer.name}`;
      renderHealth(d);
    }),
    api('responsiveness').then(renderResponse),
    api('satisfaction', { by: bySelect.value }).then(renderSatisfaction),
  ]);
  const failed = results.filter((r) => r.status === 'rejected');
  statusNode.textContent = failed.length
    ? failed.map((r) => r.reason.message).join(' ')
    : `Updated ${new Date().toLocaleTimeString()}`;
}
sinceSelect.addEventListener('change', load);
bySelect.addEventListener('change', () => api('satisfaction', { by: bySelect.value }).then(renderSatisfaction));
load();
