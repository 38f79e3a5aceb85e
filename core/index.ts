export { type Clock, systemClock } from './clock.js';
export { hasCode, RelevoError } from './errors.js';
export { type Logger, silentLogger } from './logger.js';
export { redactUrl } from './redact-url.js';
