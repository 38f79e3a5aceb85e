/**
 * The supervisors' KPI dashboard: one page of plain HTML, CSS and JavaScript served from this module
 * (no build step), charts drawn by Chart.js from its own npm bundle at `/dashboard/chart.umd.js`. Every
 * text from the server (channel names, reasons) reaches the page through `textContent`, never
 * `innerHTML`, and chart labels are drawn on a canvas, which never interprets markup.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Relevo KPIs</title>
<link rel="stylesheet" href="/dashboard/dashboard.css">
</head>
<body data-state="loading">
<header><h1>Relevo KPIs</h1><a href="/agent">Agent console</a></header>
<form id="filters">
  <label>From <input type="date" id="from" required></label>
  <label>To <input type="date" id="to" required></label>
  <label>Channel <select id="channel"><option value="">All channels</option></select></label>
  <button type="submit">Show</button>
  <a id="csv" href="/api/kpis?format=csv" download>Export CSV</a>
  <span id="live" data-testid="live"></span>
</form>
<p id="error" role="alert"></p>
<section id="cards" data-testid="cards"></section>
<section class="charts">
  <figure><figcaption>Conversations and escalations over time</figcaption><canvas id="trend" data-testid="chart"></canvas></figure>
  <figure><figcaption>Containment, not understood and sentiment over time</figcaption><canvas id="quality" data-testid="chart"></canvas></figure>
  <figure><figcaption>Escalations by reason</figcaption><canvas id="reasons" data-testid="chart"></canvas></figure>
  <figure><figcaption>CSAT (bot and human) and NPS</figcaption><canvas id="satisfaction" data-testid="chart"></canvas></figure>
  <figure><figcaption>Queue: wait for an agent and abandonment</figcaption><canvas id="queue" data-testid="chart"></canvas></figure>
</section>
<h2>Escalations by reason</h2>
<div class="table"><table id="reasons-table" data-testid="reasons-table"><thead><tr><th>Reason</th><th>Escalations</th><th>Share of conversations</th></tr></thead><tbody></tbody></table></div>
<h2>KPI table</h2>
<div class="table"><table id="kpi-table" data-testid="kpi-table"><thead></thead><tbody></tbody></table></div>
<script src="/dashboard/chart.umd.js"></script>
<script src="/dashboard/dashboard.js"></script>
</body>
</html>`;

export const DASHBOARD_CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7fb}
header{display:flex;gap:1rem;align-items:center;padding:.5rem 1rem;background:#1d2330;color:#fff}
header h1{font-size:1.1rem;margin:0;flex:1}
header a{color:#cfe0ff}
#filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:end;padding:.75rem 1rem}
#live{margin-left:auto;font-weight:600}
#error{color:#b00020;padding:0 1rem}
#cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(10rem,1fr));gap:.5rem;padding:0 1rem}
.card{background:#fff;border:1px solid #e3e6ef;border-radius:6px;padding:.5rem .75rem}
.card .value{font-size:1.4rem;font-weight:600}
.card .label{color:#667;font-size:.85em}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(24rem,1fr));gap:1rem;padding:1rem}
figure{margin:0;background:#fff;border:1px solid #e3e6ef;border-radius:6px;padding:.5rem;height:16rem;display:flex;flex-direction:column}
figcaption{font-weight:600;margin-bottom:.25rem}
figure canvas{flex:1;min-height:0}
h2{padding:0 1rem;font-size:1rem}
.table{overflow:auto;padding:0 1rem 2rem}
table{border-collapse:collapse;background:#fff;font-size:.85em}
th,td{border:1px solid #e3e6ef;padding:.25rem .5rem;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}`;

export const DASHBOARD_JS = `(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const DAY = 86400000;
  const charts = {};
  const pct = (v) => (v === null || v === undefined ? '–' : (v * 100).toFixed(1) + ' %');
  const num = (v, digits) => (v === null || v === undefined ? '–' : Number(v).toFixed(digits === undefined ? 2 : digits));
  const secs = (ms) => (ms === null || ms === undefined ? '–' : (ms / 1000).toFixed(1) + ' s');
  const day = (ms) => new Date(ms).toISOString().slice(0, 10);
  const COLUMNS = [
    ['Conversations', (f) => String(f.conversations)],
    ['Containment', (f) => pct(f.containment.rate)],
    ['Escalation', (f) => pct(f.escalation.rate)],
    ['CSAT', (f) => num(f.csat.mean)],
    ['CSAT 4–5', (f) => pct(f.csat.satisfiedShare)],
    ['CSAT bot', (f) => num(f.csat.bot.mean)],
    ['CSAT human', (f) => num(f.csat.human.mean)],
    ['NPS', (f) => num(f.nps.score, 0)],
    ['FCR', (f) => pct(f.firstContactResolution.rate)],
    ['AHT bot', (f) => secs(f.handleTime.botMeanMs)],
    ['AHT human', (f) => secs(f.handleTime.humanMeanMs)],
    ['Wait p50', (f) => secs(f.wait.p50Ms)],
    ['Wait p90', (f) => secs(f.wait.p90Ms)],
    ['Abandoned', (f) => pct(f.abandonment.rate)],
    ['Not understood', (f) => pct(f.understanding.notUnderstoodShare)],
    ['Sentiment', (f) => num(f.sentiment.mean)],
    ['Sentiment trend / day', (f) => num(f.sentiment.trendPerDay, 3)],
    ['Points issued', (f) => String(f.points.issued)],
    ['Points debited', (f) => String(f.points.debited)],
    ['Points redeemed', (f) => String(f.points.redeemed)],
    ['Points expired', (f) => String(f.points.expired)],
  ];

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function query(format) {
    const params = new URLSearchParams();
    params.set('from', String(Date.parse($('from').value)));
    params.set('to', String(Date.parse($('to').value) + DAY));
    if ($('channel').value) params.set('channel', $('channel').value);
    if (format) params.set('format', format);
    return '/api/kpis?' + params.toString();
  }

  function draw(id, config) {
    if (charts[id]) charts[id].destroy();
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options || {});
    charts[id] = new Chart($(id), config);
  }

  function cards(k) {
    const box = $('cards');
    box.replaceChildren();
    const items = [
      ['Conversations', String(k.conversations)],
      ['Containment', pct(k.containment.rate)],
      ['Escalation', pct(k.escalation.rate)],
      ['CSAT', num(k.csat.mean)],
      ['CSAT 4–5', pct(k.csat.satisfiedShare)],
      ['CSAT bot / human', num(k.csat.bot.mean) + ' / ' + num(k.csat.human.mean)],
      ['NPS', num(k.nps.score, 0)],
      ['First-contact resolution', pct(k.firstContactResolution.rate)],
      ['AHT bot / human', secs(k.handleTime.botMeanMs) + ' / ' + secs(k.handleTime.humanMeanMs)],
      ['Wait p50 / p90', secs(k.wait.p50Ms) + ' / ' + secs(k.wait.p90Ms)],
      ['Abandoned while waiting', pct(k.abandonment.rate)],
      ['Not understood', pct(k.understanding.notUnderstoodShare)],
      ['Mean sentiment', num(k.sentiment.mean)],
      ['Sentiment trend / day', num(k.sentiment.trendPerDay, 3)],
      ['Points issued / debited', k.points.issued + ' / ' + k.points.debited],
      ['Points redeemed / expired', k.points.redeemed + ' / ' + k.points.expired],
    ];
    for (const [label, value] of items) {
      const card = el('div', undefined, 'card');
      card.append(el('div', value, 'value'), el('div', label, 'label'));
      box.append(card);
    }
  }

  function table(k) {
    const head = $('kpi-table').tHead;
    const body = $('kpi-table').tBodies[0];
    const row = el('tr');
    row.append(el('th', 'Segment'));
    for (const [name] of COLUMNS) row.append(el('th', name));
    head.replaceChildren(row);
    const rows = [['All', k]];
    for (const [channel, f] of Object.entries(k.byChannel)) rows.push(['Channel: ' + channel, f]);
    for (const [language, f] of Object.entries(k.byLanguage)) rows.push(['Language: ' + language, f]);
    body.replaceChildren();
    for (const [segment, f] of rows) {
      const tr = el('tr');
      tr.append(el('td', segment));
      for (const [, cell] of COLUMNS) tr.append(el('td', cell(f)));
      body.append(tr);
    }
  }

  function reasonTable(k) {
    const body = $('reasons-table').tBodies[0];
    body.replaceChildren();
    for (const [reason, r] of Object.entries(k.escalation.byReason)) {
      const tr = el('tr');
      tr.append(el('td', reason), el('td', String(r.count)), el('td', pct(r.rate)));
      body.append(tr);
    }
  }

  function channels(k) {
    const select = $('channel');
    const known = new Set(Array.from(select.options).map((o) => o.value));
    for (const channel of Object.keys(k.byChannel)) {
      if (known.has(channel)) continue;
      const option = el('option', channel);
      option.value = channel;
      select.append(option);
    }
  }

  function render(k) {
    const labels = k.series.points.map((p) => (k.series.bucketMs < DAY ? new Date(p.from).toISOString().slice(5, 16).replace('T', ' ') : day(p.from)));
    draw('trend', {
      type: 'line',
      data: { labels, datasets: [
        { label: 'Conversations', data: k.series.points.map((p) => p.conversations), borderColor: '#2f6fde', backgroundColor: '#2f6fde' },
        { label: 'Escalated', data: k.series.points.map((p) => p.escalated), borderColor: '#d9534f', backgroundColor: '#d9534f' },
      ] },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    draw('quality', {
      type: 'line',
      data: { labels, datasets: [
        { label: 'Containment', data: k.series.points.map((p) => p.containmentRate), borderColor: '#2e9e5b', backgroundColor: '#2e9e5b', spanGaps: true },
        { label: 'Not understood', data: k.series.points.map((p) => p.notUnderstoodShare), borderColor: '#e0a100', backgroundColor: '#e0a100', spanGaps: true },
        { label: 'Sentiment', data: k.series.points.map((p) => p.sentimentMean), borderColor: '#7a4fd6', backgroundColor: '#7a4fd6', spanGaps: true },
      ] },
      options: { scales: { y: { min: -1, max: 1 } } },
    });
    const reasons = Object.entries(k.escalation.byReason);
    draw('reasons', {
      type: 'bar',
      data: { labels: reasons.map(([reason]) => reason), datasets: [{ label: 'Escalations', data: reasons.map(([, r]) => r.count), backgroundColor: '#d9534f' }] },
      options: { indexAxis: 'y', scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    draw('satisfaction', {
      type: 'bar',
      data: {
        labels: ['CSAT all', 'CSAT bot', 'CSAT human', 'NPS promoters', 'NPS passives', 'NPS detractors'],
        datasets: [{
          label: 'CSAT mean (1–5) · NPS answers',
          data: [k.csat.mean, k.csat.bot.mean, k.csat.human.mean, k.nps.promoters, k.nps.passives, k.nps.detractors],
          backgroundColor: ['#2f6fde', '#5b8def', '#2e9e5b', '#2e9e5b', '#aab', '#d9534f'],
        }],
      },
      options: { scales: { y: { beginAtZero: true } } },
    });
    draw('queue', {
      type: 'bar',
      data: {
        labels: ['Wait p50 (s)', 'Wait p90 (s)', 'Abandoned', 'Waiting now'],
        datasets: [{
          label: 'Queue',
          data: [k.wait.p50Ms === null ? null : k.wait.p50Ms / 1000, k.wait.p90Ms === null ? null : k.wait.p90Ms / 1000, k.abandonment.abandoned, k.live ? k.live.queueLength : null],
          backgroundColor: ['#2f6fde', '#7a4fd6', '#d9534f', '#e0a100'],
        }],
      },
      options: { scales: { y: { beginAtZero: true } } },
    });
    cards(k);
    reasonTable(k);
    table(k);
    channels(k);
    $('live').textContent = k.live && k.live.queueLength !== null ? 'Waiting now: ' + k.live.queueLength : '';
    $('csv').href = query('csv');
  }

  async function load() {
    document.body.dataset.state = 'loading';
    $('error').textContent = '';
    try {
      const response = await fetch(query(), { credentials: 'same-origin' });
      if (response.status === 401) { location.href = '/agent'; return; }
      const body = await response.json();
      if (!response.ok) throw new Error(body.message || response.statusText);
      render(body);
      document.body.dataset.state = 'ready';
    } catch (error) {
      $('error').textContent = String(error.message || error);
      document.body.dataset.state = 'error';
    }
  }

  const params = new URLSearchParams(location.search);
  const to = params.get('to') ? new Date(params.get('to')) : new Date();
  const from = params.get('from') ? new Date(params.get('from')) : new Date(to.getTime() - 6 * DAY);
  $('to').value = day(to.getTime());
  $('from').value = day(from.getTime());
  $('filters').addEventListener('submit', (event) => { event.preventDefault(); void load(); });
  void load();
})();`;
