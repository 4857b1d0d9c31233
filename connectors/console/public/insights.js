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

function renderTopics(data) {
  const topics = data.overall.topics;
  const box = document.getElementById('topics');
  box.replaceChildren(
    el(
      'div',
      'muted',
      `${data.overall.total} customer messages and logged calls/notes${data.overall.sampled < data.overall.total ? ` (${data.overall.sampled} read)` : ''}; previous period ${data.overall.previousTotal}`,
    ),
  );
  chart('topics-chart', {
    tooltip: { trigger: 'axis' },
    legend: { data: ['this period', 'previous period'] },
    grid: { left: 8, right: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value' },
    yAxis: {
      type: 'category',
      inverse: true,
      data: topics.map((t) => (t.emerging ? `★ ${t.name}` : t.name)),
      axisLabel: { width: 140, overflow: 'truncate' },
    },
    series: [
      { name: 'this period', type: 'bar', data: topics.map((t) => t.messages) },
      { name: 'previous period', type: 'bar', data: topics.map((t) => t.previousMessages) },
    ],
  });
  for (const t of topics) {
    const row = el('div', 'topic');
    if (t.emerging) row.append(el('span', 'tag', 'emerging'));
    row.append(
      el('strong', '', t.name),
      el('span', 'muted', ` ${t.messages} messages, ${t.trendPoints >= 0 ? '+' : ''}${t.trendPoints} pts`),
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
  chart('response-chart', {
    tooltip: { trigger: 'axis' },
    grid: { left: 8, right: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', name: 'business min' },
    yAxis: {
      type: 'category',
      inverse: true,
      data: groups.map((g) => g.name),
      axisLabel: { width: 120, overflow: 'truncate' },
    },
    series: [
      {
        name: 'median',
        type: 'bar',
        data: groups.map((g) => g.medianMinutes ?? 0),
        markLine: {
          symbol: 'none',
          data: [{ xAxis: data.targetMinutes, name: 'target' }],
          label: { formatter: 'target', position: 'insideEndTop' },
        },
      },
      { name: 'p90', type: 'bar', data: groups.map((g) => g.p90Minutes ?? 0) },
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

function renderSatisfaction(data) {
  const buckets = [...new Set(data.series.flatMap((s) => s.points.map((p) => p.bucket.slice(0, 10))))].sort();
  chart('satisfaction-chart', {
    tooltip: { trigger: 'axis' },
    legend: { type: 'scroll' },
    grid: { left: 8, right: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: buckets },
    yAxis: { type: 'value', min: -1, max: 1 },
    series: data.series.map((s) => {
      const at = new Map(s.points.map((p) => [p.bucket.slice(0, 10), p.mean]));
      return { name: s.group, type: 'line', connectNulls: true, data: buckets.map((b) => at.get(b) ?? null) };
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
