export {
  entryNotFound,
  idempotencyConflict,
  insufficientPoints,
  LedgerErrorCode,
} from './ledger/errors.js';
export { type LedgerOptions, MemoryLedger } from './ledger/memory-ledger.js';
export { RedisLedger, type RedisLedgerOptions } from './ledger/redis-ledger.js';
export type {
  CreditRequest,
  DebitRequest,
  HistoryOptions,
  Ledger,
  LedgerBalance,
  LedgerBucket,
  LedgerEntry,
  LedgerEntryKind,
  LedgerResult,
  LedgerVerification,
  MoveResult,
  ReverseRequest,
} from './ledger/types.js';
export { formatAudit, type LedgerAudit, verifyLedger } from './ledger/verify-all.js';
