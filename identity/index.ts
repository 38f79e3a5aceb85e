export {
  addIntentContact,
  type ChurnRisk,
  type ChurnRuleOptions,
  contactOf,
  defaultChurnRule,
  evaluateChurn,
  type IntentContact,
  qualifyingIntent,
  recentContacts,
} from './churn.js';
export { createIdentity, type Identity, type IdentityOptions } from './create-identity.js';
export { IdentityErrorCode, identityError } from './errors.js';
export {
  type IdentityEventMap,
  type IdentityEventName,
  IdentityEvents,
  type IdentityListener,
} from './identity-events.js';
export {
  IdentityMiddleware,
  type IdentityMiddlewareOptions,
  isFlaggedSender,
} from './identity-middleware.js';
export {
  checkIdentityKey,
  checkKeyLimits,
  checkVerifiedEmails,
  defaultIdentityRules,
  type IdentityRules,
  isBlockedValue,
} from './identity-rules.js';
export { type LinkResult, LinkService, type LinkServiceOptions, type RateLimit } from './link-service.js';
export {
  type JourneyEntry,
  MAX_CONVERSATIONS,
  MAX_JOURNEY_EVENTS,
  type MemberConversation,
  type MemberRecord,
  newMemberRecord,
  toSnapshot,
  type VersionedMember,
} from './member-record.js';
export type { AuditRecord, MemberStore } from './member-store.js';
export {
  type ContactLearnt,
  type MemberContact,
  Members,
  type MembersOptions,
  normalizeKey,
} from './members.js';
export { MemoryMemberStore } from './memory-member-store.js';
export { type MergeRequest, mergeMembers, unmergeMembers } from './merge.js';
export {
  auditsOf,
  defaultErasableStorageKeys,
  type ErasableStorageKeys,
  type EraseOptions,
  type ErasureReport,
  eraseMember,
  exportMember,
  type FinishEraseOptions,
  finishErase,
  isPendingErase,
  type MemberExport,
  type PendingErase,
} from './privacy.js';
export { buildProfile, type MemberProfile, type ProfileSection } from './profile.js';
export { isLuhnValid, isValidIban, redactActivity, redactPii } from './redact.js';
export { RedisMemberStore } from './redis-member-store.js';
export { type IdentityRouteOptions, mountIdentityRoutes } from './routes.js';
export { type ConversationTranscript, readTranscripts, timeline } from './transcripts.js';
