import { RelevoError } from '../../core/errors.js';

/** Error codes of the Direct Line 3.0 error object (`{error: {code, message}}`), with their status. */
export const DirectLineErrorCode = {
  BadArgument: 400,
  BadSyntax: 400,
  MissingProperty: 400,
  Unauthorized: 401,
  Forbidden: 403,
  TokenExpired: 403,
  NotFound: 404,
  MessageSizeTooBig: 413,
  ServiceError: 500,
  BotError: 502,
} as const;

export type DirectLineErrorCodeName = keyof typeof DirectLineErrorCode;

/**
 * An error a Direct Line route answers with its own error shape, so `botframework-directlinejs` and
 * Web Chat react as they do against Azure (403 = expired token, 404 = conversation ended).
 */
export class DirectLineError extends RelevoError {
  readonly directLineCode: DirectLineErrorCodeName;

  constructor(code: DirectLineErrorCodeName, message: string) {
    super(`RELEVO_DIRECTLINE_${code.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`, message, {
      statusCode: DirectLineErrorCode[code],
    });
    this.name = 'DirectLineError';
    this.directLineCode = code;
  }

  /** The body Direct Line clients expect. */
  get body(): { error: { code: string; message: string } } {
    return { error: { code: this.directLineCode, message: this.message } };
  }
}
