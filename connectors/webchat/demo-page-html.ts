/**
 * The storefront demo page served at `/`: a small shop with Microsoft's Web Chat (served from the npm
 * package by this server, no CDN) talking to Relevo's own Direct Line. Kept as a module, not a file, so
 * `tsc` ships it in `dist/` with everything else.
 */
export const DEMO_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Relevo Outdoor — demo store</title>
<link rel="stylesheet" href="/webchat/demo.css">
</head>
<body>
<header class="shop-header">
  <strong class="brand">Relevo Outdoor</strong>
  <nav class="language" aria-label="Language">
    <button type="button" data-locale="en-US" data-testid="lang-en">English</button>
    <button type="button" data-locale="es-ES" data-testid="lang-es">Español</button>
  </nav>
  <span class="points" data-testid="points-badge" hidden></span>
</header>
<main class="shop">
  <section class="products" aria-label="Products">
    <article><h2>Trail Runner 2</h2><p>Light trail shoes with a grippy sole.</p><p class="price">€89</p></article>
    <article><h2>Summit Jacket</h2><p>Waterproof shell for every season.</p><p class="price">€149</p></article>
    <article><h2>Base Camp Tent</h2><p>Three-person tent, set up in four minutes.</p><p class="price">€229</p></article>
    <article><h2>Daypack 22</h2><p>Everything for a day in the hills.</p><p class="price">€59</p></article>
  </section>
  <aside class="chat" aria-label="Chat with us">
    <h2 data-i18n="chat-title">Chat with us</h2>
    <div id="webchat" data-testid="webchat" role="main"></div>
    <p class="status" data-testid="chat-status" hidden></p>
  </aside>
</main>
<script src="/webchat/webchat.js"></script>
<script src="/webchat/demo.js"></script>
</body>
</html>
`;

export const DEMO_PAGE_CSS = `
* { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, sans-serif; color: #1d2a33; background: #f4f6f5; }
.shop-header { display: flex; align-items: center; gap: 1rem; padding: .75rem 1.5rem; background: #1f4d3a; color: #fff; }
.brand { font-size: 1.25rem; margin-right: auto; }
.language button { border: 1px solid #fff6; background: transparent; color: #fff; padding: .3rem .7rem; border-radius: 4px; cursor: pointer; }
.language button[aria-pressed="true"] { background: #fff; color: #1f4d3a; }
.points { background: #f2c14e; color: #1d2a33; border-radius: 999px; padding: .25rem .75rem; font-weight: 600; }
.shop { display: grid; grid-template-columns: 1fr 420px; gap: 1.5rem; padding: 1.5rem; }
.products { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 1rem; align-content: start; }
.products article { background: #fff; border-radius: 8px; padding: 1rem; box-shadow: 0 1px 3px #0002; }
.products h2 { font-size: 1rem; margin: 0 0 .5rem; }
.price { font-weight: 700; color: #1f4d3a; }
.chat { background: #fff; border-radius: 8px; box-shadow: 0 1px 3px #0002; display: flex; flex-direction: column; height: calc(100vh - 7rem); min-height: 480px; }
.chat h2 { font-size: 1rem; margin: 0; padding: .75rem 1rem; border-bottom: 1px solid #e3e8e6; }
#webchat { flex: 1; min-height: 0; }
.status { margin: 0; padding: .5rem 1rem; color: #a33; }
@media (max-width: 800px) { .shop { grid-template-columns: 1fr; } }
`;

/**
 * The page's script: gets a token from this server (which vouches for the visitor by a signed cookie),
 * resumes the conversation of this tab after a reload, switches language, and shows the member's points
 * when the agent sends a \`relevo.member\` event.
 */
export const DEMO_PAGE_JS = `(() => {
  const domain = location.origin + '/v3/directline';
  const labels = { 'en-US': { title: 'Chat with us', points: 'points' }, 'es-ES': { title: 'Habla con nosotros', points: 'puntos' } };
  let locale = localStorage.getItem('relevo.locale') || (navigator.language.startsWith('es') ? 'es-ES' : 'en-US');
  let directLine;
  let member;

  const store = window.WebChat.createStore({}, () => (next) => (action) => {
    if (action.type === 'DIRECT_LINE/INCOMING_ACTIVITY') {
      const activity = action.payload.activity;
      if (activity.type === 'event' && activity.name === 'relevo.member') showPoints(activity.value);
    }
    return next(action);
  });

  function showPoints(value) {
    member = value;
    const badge = document.querySelector('[data-testid="points-badge"]');
    if (!value || typeof value.points !== 'number') { badge.hidden = true; return; }
    badge.textContent = value.points + ' ' + labels[locale].points + (value.tier ? ' · ' + value.tier : '');
    badge.hidden = false;
  }

  async function grant() {
    const saved = JSON.parse(sessionStorage.getItem('relevo.conversation') || 'null');
    if (saved) {
      const refreshed = await fetch(domain + '/tokens/refresh', { method: 'POST', headers: { authorization: 'Bearer ' + saved.token } });
      if (refreshed.ok) return { ...(await refreshed.json()), resumed: true };
    }
    const response = await fetch('/webchat/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ locale }) });
    if (!response.ok) throw new Error('token request failed: ' + response.status);
    return { ...(await response.json()), resumed: false };
  }

  function render() {
    document.documentElement.lang = locale.slice(0, 2);
    document.querySelector('[data-i18n="chat-title"]').textContent = labels[locale].title;
    for (const button of document.querySelectorAll('[data-locale]')) button.setAttribute('aria-pressed', String(button.dataset.locale === locale));
    if (member) showPoints(member);
    window.WebChat.renderWebChat({ directLine, store, locale, styleOptions: { hideUploadButton: true, bubbleBorderRadius: 8, bubbleFromUserBorderRadius: 8 } }, document.getElementById('webchat'));
  }

  async function start() {
    try {
      const { conversationId, token, resumed } = await grant();
      sessionStorage.setItem('relevo.conversation', JSON.stringify({ conversationId, token }));
      directLine = window.WebChat.createDirectLine(resumed ? { domain, token, conversationId } : { domain, token });
      render();
    } catch (error) {
      const status = document.querySelector('[data-testid="chat-status"]');
      status.textContent = 'The chat is unavailable right now. Please try again in a moment.';
      status.hidden = false;
    }
  }

  for (const button of document.querySelectorAll('[data-locale]')) {
    button.addEventListener('click', () => {
      locale = button.dataset.locale;
      localStorage.setItem('relevo.locale', locale);
      render();
    });
  }
  start();
})();
`;
