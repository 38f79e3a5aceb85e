import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Request, Response, Server } from 'restify';
import type { Logger } from '../../core/logger.js';
import { DEMO_PAGE_CSS, DEMO_PAGE_HTML, DEMO_PAGE_JS } from './demo-page-html.js';
import type { DirectLineService } from './direct-line.js';
import { directLineRoute, readJson } from './http.js';
import { newVisitorId, visitorCookie, visitorFromCookie } from './visitor-cookie.js';

/** Microsoft's self-contained Web Chat bundle, from the installed npm package (no CDN). */
function webChatBundlePath(): string {
  const entry = createRequire(import.meta.url).resolve('botframework-webchat');
  return path.join(entry, '..', '..', 'dist', 'webchat.js');
}

/**
 * Mounts the storefront demo: `/` (the page), `/webchat/webchat.js` (Web Chat), `/webchat/demo.js|css`
 * and `POST /webchat/token`, the site-side token endpoint a real shop would host: it vouches for the
 * visitor with a signed, HTTP-only cookie, so the browser never holds the Direct Line secret.
 */
export function mountDemoPage(
  server: Server,
  service: DirectLineService,
  signingKey: () => Promise<Buffer>,
  logger: Logger,
  maxBodyBytes?: number,
): void {
  const text = (type: string, body: string) => async (_req: Request, res: Response) => {
    res.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-cache' });
    res.end(body);
  };
  server.get('/', text('text/html', DEMO_PAGE_HTML));
  server.get('/webchat/demo.js', text('text/javascript', DEMO_PAGE_JS));
  server.get('/webchat/demo.css', text('text/css', DEMO_PAGE_CSS));
  // Browsers ask for it on every page; an empty answer keeps their consoles free of 404s.
  server.get('/favicon.ico', async (_req: Request, res: Response) => {
    res.writeHead(204, { 'cache-control': 'public, max-age=86400' });
    res.end();
  });

  server.get('/webchat/webchat.js', async (_req: Request, res: Response) => {
    const file = webChatBundlePath();
    const { size, mtime } = await stat(file);
    res.writeHead(200, {
      'content-type': 'text/javascript; charset=utf-8',
      'content-length': size,
      'last-modified': mtime.toUTCString(),
      'cache-control': 'public, max-age=86400',
    });
    createReadStream(file).pipe(res);
  });

  server.post(
    '/webchat/token',
    directLineRoute(logger, async (req, res) => {
      const key = await signingKey();
      const known = visitorFromCookie(req.headers.cookie, key);
      const visitor = known ?? newVisitorId();
      const body = (await readJson(req, maxBodyBytes)) as { locale?: unknown } | undefined;
      const locale = typeof body?.locale === 'string' ? body.locale : undefined;
      const grant = await service.grantForVisitor(visitor, locale);
      if (!known) res.header('set-cookie', visitorCookie(visitor, key, req.isSecure()));
      res.json(grant);
    }),
  );
}
