/**
 * The one error base class of Relevo. Every failure a caller may want to handle carries a stable
 * `code` (never branch on `message`) and, where it maps to HTTP, the status a route should answer.
 * Modelled on fastify's `createError(code, message, status)`.
 */
export class RelevoError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: string,
    message: string,
    options: { statusCode?: number; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RelevoError';
    this.code = code;
    this.statusCode = options.statusCode ?? 500;
    this.details = options.details;
  }

  /** The JSON body an HTTP route answers with: `{code, message}` plus any structured details. */
  toJSON(): { code: string; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** True when `error` is a RelevoError with the given code. */
export function hasCode(error: unknown, code: string): error is RelevoError {
  return error instanceof RelevoError && error.code === code;
}
