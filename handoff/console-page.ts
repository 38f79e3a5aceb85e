/**
 * The agent console: one page of plain HTML, CSS and JavaScript served from this module (so `tsc`
 * ships it, no build step, no CDN). Every text from a transcript, a note or a name reaches the page
 * through `textContent` or `createTextNode`, never `innerHTML`: transcripts are untrusted input.
 */
export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Relevo agent console</title>
<link rel="stylesheet" href="/agent/console.css">
</head>
<body>
<header><h1>Relevo agent console</h1><span id="who"></span><button id="logout" hidden>Log out</button></header>
<form id="login" hidden>
  <h2>Log in</h2>
  <label>Agent id <input name="agentId" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Log in</button>
  <p id="login-error" role="alert"></p>
</form>
<main id="desk" hidden>
  <section id="queues">
    <h2>Waiting</h2><ul id="pending" data-testid="pending"></ul>
    <h2>Active</h2><ul id="active" data-testid="active"></ul>
  </section>
  <section id="conversation" hidden>
    <h2 id="title"></h2>
    <p id="reason" data-testid="reason"></p>
    <p><strong>Identity keys:</strong> <span id="keys"></span></p>
    <p><strong>Member:</strong> <span id="member"></span></p>
    <p><strong>Profile:</strong> <span id="profile" data-testid="profile"></span></p>
    <div class="actions">
      <button id="accept">Take</button>
      <select id="transfer-to"></select><button id="transfer">Transfer</button>
      <button id="resolve">Resolve</button>
    </div>
    <ol id="transcript" data-testid="transcript"></ol>
    <p id="typing-hint"></p>
    <form id="reply">
      <select id="canned"><option value="">Canned responses…</option></select>
      <textarea id="reply-text" rows="3" placeholder="Reply to the customer"></textarea>
      <button type="submit">Send</button>
    </form>
    <h3>Internal notes</h3>
    <ul id="notes"></ul>
    <form id="note"><input id="note-text" placeholder="Add a note (customers never see it)"><button type="submit">Add note</button></form>
    <p id="error" role="alert"></p>
  </section>
</main>
<script src="/agent/console.js"></script>
</body>
</html>`;

export const CONSOLE_CSS = `[hidden]{display:none!important}
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330}
header{display:flex;gap:1rem;align-items:center;padding:.5rem 1rem;background:#1d2330;color:#fff}
header h1{font-size:1.1rem;margin:0;flex:1}
form#login{max-width:20rem;margin:2rem auto;display:grid;gap:.5rem}
main{display:grid;grid-template-columns:22rem 1fr;min-height:calc(100vh - 3rem)}
#queues{border-right:1px solid #ddd;padding:0 1rem;overflow:auto}
#queues li{list-style:none;padding:.4rem;border-bottom:1px solid #eee;cursor:pointer}
#queues li.selected{background:#eef3ff}
#queues ul{padding:0}
.meta{color:#667;font-size:.85em}
#conversation{padding:0 1rem;overflow:auto}
#transcript{list-style:none;padding:0;max-height:50vh;overflow:auto;border:1px solid #eee}
#transcript li{padding:.3rem .5rem;border-bottom:1px solid #f4f4f4}
#transcript li.user{background:#f8fbff}
#transcript li.agent{background:#f3fff5}
.nlu{color:#667;font-size:.8em;margin-left:.5rem}
.actions{display:flex;gap:.5rem;margin:.5rem 0}
#reply{display:grid;gap:.3rem;margin:.5rem 0}
#error,#login-error{color:#b00020}`;

export const CONSOLE_JS = `(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  let csrf = '';
  let me = null;
  let selected = null;
  let socket = null;
  let lastTyping = 0;
  const lists = { pending: [], active: [] };

  /** Builds an element; string children become text nodes, so nothing is ever parsed as HTML. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === 'className') node.className = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children) node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    return node;
  }

  async function api(path, body) {
    const init = { method: body === undefined ? 'GET' : 'POST', headers: {}, credentials: 'same-origin' };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.headers['x-relevo-csrf'] = csrf;
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const json = await response.json().catch(() => ({}));
    if (!response.ok) throw Object.assign(new Error(json.message || response.statusText), { code: json.code, status: response.status });
    return json;
  }

  function showError(error) { $('error').textContent = error ? error.message : ''; }

  function wait(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    return s < 60 ? s + ' s' : Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
  }

  function reasonText(reason) {
    const values = Object.entries(reason.values || {}).map(([k, v]) => k + '=' + v).join(', ');
    return reason.trigger + (values ? ' (' + values + ')' : '');
  }

  function renderList(status) {
    const ul = $(status);
    ul.replaceChildren();
    for (const h of lists[status]) {
      const waited = status === 'pending' ? Date.now() - h.createdAt : h.waitingMs;
      const li = el('li', { 'data-id': h.id, className: selected && selected.id === h.id ? 'selected' : '', onclick: () => open(h.id) },
        el('div', {}, (h.member.displayName || h.member.id) + ' · ' + h.channelId + ' · ' + h.language),
        el('div', { className: 'meta reason' }, reasonText(h.reason)),
        ...(h.member.churnRisk ? [el('div', { className: 'meta churn' }, 'churn risk: ' + h.member.churnRisk.intent)] : []),
        el('div', { className: 'meta' }, (h.queuePosition ? '#' + h.queuePosition + ' · ' : '') + 'waiting ' + wait(waited) + (h.agentId ? ' · ' + h.agentId : '')));
      ul.append(li);
    }
  }

  async function refreshQueues() {
    const [pending, active] = await Promise.all([api('/api/handoffs?status=pending'), api('/api/handoffs?status=active')]);
    // The queue's own order: priority (tier, value, churn risk, anger) weighed against waiting time.
    lists.pending = pending.handoffs.sort((a, b) => (a.queuePosition ?? 1e9) - (b.queuePosition ?? 1e9));
    lists.active = active.handoffs;
    renderList('pending');
    renderList('active');
  }

  /** The profile's plain fields and per-channel contacts as one line of text. */
  function profileText(profile) {
    if (!profile) return '—';
    const parts = [];
    for (const [key, value] of Object.entries(profile)) {
      if (value === null || value === undefined || key === 'audits' || key === 'identityKeys') continue;
      if (key === 'contacts' && typeof value === 'object') parts.push('contacts ' + Object.entries(value).map(([c, n]) => c + ' ' + n).join(', '));
      else if (key === 'conversations' && Array.isArray(value)) parts.push(value.length + ' conversations');
      else if (typeof value !== 'object') parts.push(key + ' ' + value);
    }
    return parts.join(' · ');
  }

  function transcriptItem(activity, turns) {
    const role = activity.channelData && activity.channelData.relevoAgent ? 'agent' : activity.from && activity.from.role === 'bot' ? 'bot' : 'user';
    const who = role === 'agent' ? activity.channelData.relevoAgent.name : role === 'bot' ? 'Bot' : 'Customer';
    const li = el('li', { className: role }, el('strong', {}, who + ': '), String(activity.text || ''));
    const turn = turns.find((t) => t.activityId === activity.id);
    if (turn) li.append(el('span', { className: 'nlu' }, turn.topIntent + ' ' + turn.confidence + ' · sentiment ' + turn.sentiment + ' (' + turn.sentimentLabel + ')'));
    return li;
  }

  async function open(id) {
    showError(null);
    const [handoff, transcript] = await Promise.all([api('/api/handoffs/' + encodeURIComponent(id)), api('/api/handoffs/' + encodeURIComponent(id) + '/transcript')]);
    selected = handoff;
    $('conversation').hidden = false;
    $('title').textContent = (handoff.member.displayName || handoff.member.id) + ' — ' + handoff.status;
    $('reason').textContent = 'Reason: ' + reasonText(handoff.reason) + ' · waiting ' + wait(handoff.waitingMs);
    $('keys').textContent = handoff.identityKeys.join(', ');
    $('member').textContent = 'tier ' + (handoff.member.tier || '—') + ' · points ' + (handoff.member.points ?? '—') + ' · language ' + handoff.language + (handoff.member.churnRisk ? ' · churn risk: ' + handoff.member.churnRisk.intent : '');
    $('profile').textContent = profileText(handoff.profile);
    $('transcript').replaceChildren(...transcript.activities.filter((a) => a.type === 'message').map((a) => transcriptItem(a, transcript.turns)));
    $('transcript').scrollTop = $('transcript').scrollHeight;
    $('notes').replaceChildren(...handoff.notes.map((n) => el('li', {}, n.agentId + ': ' + n.text)));
    $('accept').hidden = handoff.status !== 'pending';
    $('reply').hidden = handoff.status !== 'active';
    $('resolve').hidden = handoff.status !== 'active';
    $('transfer').hidden = $('transfer-to').hidden = handoff.status !== 'active';
    renderList('pending');
    renderList('active');
    const canned = await api('/api/agent/canned');
    $('canned').replaceChildren(el('option', { value: '' }, 'Canned responses…'), ...(canned.canned[handoff.language] || canned.canned.en || []).map((text) => el('option', { value: text }, text)));
    const agents = await api('/api/agent/agents');
    $('transfer-to').replaceChildren(el('option', { value: 'queue' }, 'Back to the queue'),
      el('option', { value: 'queue:en' }, 'English queue'), el('option', { value: 'queue:es' }, 'Spanish queue'),
      ...agents.agents.filter((a) => a.agentId !== me.id).map((a) => el('option', { value: 'agent:' + a.agentId }, a.agentId)));
  }

  async function act(fn) {
    showError(null);
    try { await fn(); } catch (error) { showError(error); }
  }

  function connect() {
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    socket = new WebSocket(scheme + location.host + '/api/agent/stream');
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.type === 'handoff.requested' || event.type === 'handoff.updated') refreshQueues().catch(showError);
      if (!selected || event.handoffId !== selected.id) return;
      if (event.type === 'handoff.message') {
        const li = el('li', { className: event.from === 'agent' ? 'agent' : 'user' }, el('strong', {}, (event.from === 'agent' ? 'Agent' : 'Customer') + ': '), event.text);
        $('transcript').append(li);
        $('transcript').scrollTop = $('transcript').scrollHeight;
      } else if (event.type === 'handoff.note') {
        $('notes').append(el('li', {}, event.agentId + ': ' + event.text));
      } else if (event.type === 'handoff.updated') {
        open(selected.id).catch(showError);
      }
    };
    socket.onclose = () => { if (me) setTimeout(connect, 1000); };
  }

  async function start(session) {
    me = session.agent;
    csrf = session.csrfToken;
    $('who').textContent = me.name + ' (' + me.role + ')';
    $('login').hidden = true;
    $('desk').hidden = false;
    $('logout').hidden = false;
    await api('/api/agent/presence', { online: true });
    setInterval(() => api('/api/agent/presence', { online: true }).catch(() => {}), 20000);
    setInterval(() => { renderList('pending'); }, 1000);
    connect();
    await refreshQueues();
  }

  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = new FormData($('login'));
    api('/api/agent/login', { agentId: form.get('agentId'), password: form.get('password') })
      .then(start)
      .catch((error) => { $('login-error').textContent = error.message; });
  });
  $('logout').addEventListener('click', () => act(async () => { await api('/api/agent/logout', {}); me = null; location.reload(); }));
  $('accept').addEventListener('click', () => act(async () => { await api('/api/handoffs/' + selected.id + '/accept', {}); await open(selected.id); }));
  $('resolve').addEventListener('click', () => act(async () => { await api('/api/handoffs/' + selected.id + '/resolve', {}); await open(selected.id); }));
  $('transfer').addEventListener('click', () => act(async () => {
    const target = $('transfer-to').value;
    const body = target.startsWith('agent:') ? { agentId: target.slice(6) } : target.startsWith('queue:') ? { language: target.slice(6) } : {};
    await api('/api/handoffs/' + selected.id + '/transfer', body);
    await open(selected.id);
  }));
  $('canned').addEventListener('change', () => { if ($('canned').value) $('reply-text').value = $('canned').value; });
  $('reply-text').addEventListener('input', () => {
    if (!selected || Date.now() - lastTyping < 3000) return;
    lastTyping = Date.now();
    api('/api/handoffs/' + selected.id + '/typing', {}).catch(() => {});
  });
  $('reply').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = $('reply-text').value.trim();
    if (!text) return;
    act(async () => { await api('/api/handoffs/' + selected.id + '/messages', { text }); $('reply-text').value = ''; });
  });
  $('note').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = $('note-text').value.trim();
    if (!text) return;
    act(async () => { await api('/api/handoffs/' + selected.id + '/notes', { text }); $('note-text').value = ''; });
  });

  api('/api/agent/me').then(start).catch(() => { $('login').hidden = false; });
})();
`;
