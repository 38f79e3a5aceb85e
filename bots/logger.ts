import { pino } from 'pino';
import type { Logger } from '../core/logger.js';
import type { Config } from './config.js';

/** Structured JSON logs on stdout (pino), with secrets redacted wherever they appear in a log object. */
export function createLogger(config: Pick<Config, 'LOG_LEVEL'>): Logger {
  return pino({
    name: 'relevo',
    level: config.LOG_LEVEL,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token', '*.secret'],
      censor: '***',
    },
  });
}
