import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import restify from 'restify';
import { closeAfterTooLarge } from '../connectors/shared/read-body.js';
import { RelevoError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

export type HttpServer = restify.Server;

/**
 * The one restify server every route is mounted on. Errors leave as JSON `{code, message}`: a
 * RelevoError keeps its stable code, message and status; another error with a 4xx status keeps it,
 * with the status's reason phrase as message; anything else is a 500 whose detail goes to the log.
 * Only a RelevoError's own message reaches the caller.
 */
export function createHttpServer(logger: Logger): HttpServer {
  const server = restify.createServer({
    name: 'relevo',
    handleUncaughtExceptions: false,
    ignoreTrailingSlash: true,
  });
  server.use(restify.plugins.queryParser({ mapParams: false }));

  server.on(
    'restifyError',
    (req: restify.Request, res: restify.Response, err: Error, callback: () => void) => {
      const body = errorBody(err);
      if (body.status >= 500) logger.error({ err, method: req.method, url: req.url }, 'request failed');
      res.status(body.status);
      closeAfterTooLarge(res, body.status);
      // Replace restify's own error rendering with our shape. restify sends an error without a numeric
      // status as a new InternalError whose body carries the error's message: give it one.
      (err as Error & { toJSON?: () => unknown }).toJSON = () => body.json;
      if (typeof (err as { statusCode?: unknown }).statusCode !== 'number') {
        Object.assign(err, { statusCode: body.status });
      }
      callback();
    },
  );
  // Requests Node's HTTP parser refuses (a bad method, CR/LF or NUL in a header, headers over 16 KB,
  // a Content-Length twice) never reach restify; Node would answer a bare 400 without a reason.
  // https://nodejs.org/api/http.html#event-clienterror
  server.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    socket.end(clientErrorAnswer(err.code));
  });
  return server;
}

/** The raw HTTP answer to a request the parser refused: 431, 408 or 400, with a JSON reason. */
export function clientErrorAnswer(parserCode: string | undefined): string {
  const [status, code, message] =
    parserCode === 'HPE_HEADER_OVERFLOW'
      ? [431, 'RELEVO_HEADERS_TOO_LARGE', 'The request headers are too large']
      : parserCode === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'RELEVO_REQUEST_TIMEOUT', 'The request took too long to arrive']
        : [400, 'RELEVO_MALFORMED_REQUEST', 'The request is not valid HTTP/1.1'];
  const body = JSON.stringify({ code, message });
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

function errorBody(err: Error): { status: number; json: { code: string; message: string } } {
  if (err instanceof RelevoError) return { status: err.statusCode, json: err.toJSON() };
  const status = (err as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // Not ours (restify's 404 and 405, a library's 4xx): its message may echo the request or carry a
    // detail meant for the log, so the caller gets the status's reason phrase instead.
    const reason = STATUS_CODES[status] ?? 'Bad Request';
    // A plain Error names nothing: its status does (`Forbidden` → RELEVO_FORBIDDEN).
    const code =
      String((err as { body?: { code?: string } }).body?.code ?? err.name).replace(/Error$/, '') ||
      reason.replaceAll(' ', '');
    return { status, json: { code: `RELEVO_${snakeCase(code)}`, message: reason } };
  }
  return { status: 500, json: { code: 'RELEVO_INTERNAL', message: 'Internal error; see the server log' } };
}

/** `ResourceNotFound` → `RESOURCE_NOT_FOUND`: restify's error names in our code style. */
function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}
