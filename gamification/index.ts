export { isoWeek, localDay, previousDay } from './calendar.js';
export {
  type BadgeConfig,
  type EarnRule,
  type GamificationConfig,
  GamificationConfigErrorCode,
  gamificationConfigSchema,
  loadGamificationConfig,
  parseGamificationConfig,
  type RewardConfig,
  type TierConfig,
} from './config/schema.js';
export {
  type CreateGamificationOptions,
  createGamification,
  type GamificationPlugin,
} from './create-gamification.js';
export {
  type AwardedCredit,
  type AwardResult,
  Gamification,
  type GamificationOptions,
  type LeaderboardName,
  type LoyaltyEvent,
  type LoyaltyProfile,
} from './gamification.js';
export { LedgerErrorCode } from './ledger/errors.js';
export { type LedgerOptions, MemoryLedger } from './ledger/memory-ledger.js';
export { RedisLedger, type RedisLedgerOptions } from './ledger/redis-ledger.js';
export type {
  CreditRequest,
  DebitRequest,
  ExpiryListener,
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
export { sweepExpiredPoints } from './ledger/sweep.js';
export { formatAudit, type LedgerAudit, verifyLedger } from './ledger/verify-all.js';
export { MemoryLeaderboardStore } from './leaderboard/memory-leaderboard.js';
export { RedisLeaderboardStore, type RedisLeaderboardOptions } from './leaderboard/redis-leaderboard.js';
export type { LeaderboardRow, LeaderboardStore, Standings } from './leaderboard/types.js';
export {
  GamificationMiddleware,
  type GamificationMiddlewareOptions,
  LoyaltyTurnKey,
  type RecordedLoyaltyEvent,
  recordLoyaltyEvent,
  turnLoyaltyProfile,
} from './middleware.js';
export { MemoryProgressStore } from './progress/memory-progress.js';
export { RedisProgressStore } from './progress/redis-progress.js';
export type { EarnedBadge, MemberProgress, ProgressStore, Streak } from './progress/types.js';
export { MemoryRewardStore, type RewardStoreOptions } from './rewards/memory-rewards.js';
export { RedisRewardStore } from './rewards/redis-rewards.js';
export {
  createRedemptionCode,
  type RedeemRequest,
  type Redemption,
  type RedemptionResult,
  RewardErrorCode,
  type RewardListing,
  type RewardStore,
} from './rewards/types.js';
export {
  type GamificationRoutesOptions,
  mountGamificationRoutes,
  type PointsWrite,
  RoutesErrorCode,
} from './routes.js';
export { type Tier, tierFor } from './tiers.js';
export {
  DailyGames,
  GameErrorCode,
  type PlayOptions,
  type SpinOutcome,
  type TriviaOutcome,
  type TriviaPlay,
} from './games/daily-games.js';
export { type PublishedOdds, publishedOdds, type SpinPrize, spinWheel } from './games/daily-spin.js';
export {
  loadQuestionBank,
  parseQuestionBank,
  type QuestionBank,
  QuestionBankErrorCode,
  type TriviaQuestion,
} from './games/question-bank.js';
export {
  type AnswerOutcome,
  type AskedQuestion,
  answerTrivia,
  cryptoRandomInt,
  currentQuestion,
  type RandomInt,
  startTrivia,
  TriviaErrorCode,
  type TriviaRound,
} from './games/trivia.js';
export {
  createGameDialogs,
  type GameDialogs,
  type GameDialogsOptions,
} from './dialogs/create-game-dialogs.js';
export {
  DAILY_SPIN_DIALOG,
  DailySpinDialog,
  type DailySpinDialogOptions,
} from './dialogs/daily-spin-dialog.js';
export { TRIVIA_DIALOG, TriviaDialog, type TriviaDialogOptions } from './dialogs/trivia-dialog.js';
