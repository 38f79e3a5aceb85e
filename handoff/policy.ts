import type { MemberSnapshot } from '../core/turn-state.js';
import type { NluResult } from '../nlu-models/recognizer/types.js';

/** What made the bot hand a conversation to a person; one value per configured rule. */
export type HandoffTrigger =
  | 'explicit-request'
  | 'vip-complaint'
  | 'negative-sentiment'
  | 'sentiment-trend'
  | 'dialog-failed'
  | 'low-confidence';

/** The trigger that fired and the values it fired on, as agents and the KPIs read it. */
export interface HandoffReason {
  trigger: HandoffTrigger;
  /** The measured values and the thresholds they crossed (`{confidence: 0.31, threshold: 0.5, turns: 2}`). */
  values: Record<string, number | string | boolean>;
}

/** Thresholds of the policy; every one has a default (see {@link defaultPolicyOptions}). */
export interface HandoffPolicyOptions {
  /** A turn whose top intent scores below this (or is out of scope) counts as not understood. */
  confidenceThreshold: number;
  /** Consecutive not-understood turns that trigger a handoff. */
  lowConfidenceTurns: number;
  /** A sentiment score (in [-1, 1]) at or below this on one turn triggers a handoff. */
  negativeScoreThreshold: number;
  /** Sentiment whose model confidence is below this is ignored (short replies are guesses). */
  minSentimentConfidence: number;
  /** Turns of the falling-trend rule. */
  trendTurns: number;
  /** How far the score must fall over those turns, each turn lower than the one before. */
  trendMinDrop: number;
  /** The last score of a falling trend must be below this: falling from delighted to content is fine. */
  trendCeiling: number;
  /** The NLU intent of "let me talk to a person". */
  requestIntent: string;
  /** Whole words that ask for a person in any language the bot speaks (accents and case ignored). */
  requestWords: string[];
  /** Complaint intent that hands VIP members to a person at once. */
  complaintIntent: string;
  /** A top intent at least this confident (other than a complaint) is a task the customer asks for. */
  taskConfidence: number;
  /** Sentiment at or below this counts as anger even on a confident task turn ("cancel my order" is not). */
  taskNegativeScoreThreshold: number;
  /** Tiers treated as VIP. */
  vipTiers: string[];
  /** Failed dialogs (in a row of the conversation) that trigger a handoff. */
  dialogFailures: number;
}

export const defaultPolicyOptions: HandoffPolicyOptions = {
  confidenceThreshold: 0.5,
  lowConfidenceTurns: 2,
  negativeScoreThreshold: -0.6,
  minSentimentConfidence: 0,
  trendTurns: 3,
  trendMinDrop: 0.5,
  trendCeiling: -0.1,
  requestIntent: 'handoff.request',
  requestWords: ['agent', 'agente', 'human', 'humano', 'person', 'persona', 'representative', 'asesor'],
  complaintIntent: 'feedback.complaint',
  taskConfidence: 0.8,
  taskNegativeScoreThreshold: -0.9,
  vipTiers: ['vip', 'gold', 'platinum'],
  dialogFailures: 2,
};

/** What the policy remembers of a conversation between turns (kept in storage, never in memory). */
export interface PolicySignals {
  lowConfidenceStreak: number;
  /** Sentiment scores of the last turns, oldest first (at most `trendTurns`). */
  sentimentScores: number[];
  dialogFailures: number;
  lastConfidence: number | null;
  lastSentiment: number | null;
}

export function emptySignals(): PolicySignals {
  return {
    lowConfidenceStreak: 0,
    sentimentScores: [],
    dialogFailures: 0,
    lastConfidence: null,
    lastSentiment: null,
  };
}

/** One customer turn as the policy sees it. */
export interface TurnObservation {
  text: string;
  nlu?: NluResult | undefined;
  member?: MemberSnapshot | undefined;
  /** `true`/`false` when the dialogs stage said whether a dialog failed; `undefined` when it said nothing. */
  dialogFailed?: boolean | undefined;
  /**
   * `true` when the dialogs understood the turn whatever the intent scores say: an answer to their own
   * question ("9", an address, an order number) is not a misunderstanding.
   */
  understood?: boolean | undefined;
}

/** The values DESIGN.md §3 puts in the packet's `signals`. */
export interface SignalSummary {
  confidence: number | null;
  sentiment: number | null;
  /** Last score minus the first over the remembered turns (negative = falling). */
  trend: number | null;
  fallbackStreak: number;
}

export function summarizeSignals(signals: PolicySignals): SignalSummary {
  const scores = signals.sentimentScores;
  const first = scores[0];
  const last = scores[scores.length - 1];
  return {
    confidence: signals.lastConfidence,
    sentiment: signals.lastSentiment,
    trend: scores.length >= 2 && first !== undefined && last !== undefined ? round(last - first) : null,
    fallbackStreak: signals.lowConfidenceStreak,
  };
}

/**
 * Folds one turn into the conversation's signals and says whether a person should take over, and why.
 * Pure: the caller loads and saves the signals (with their eTag). When several rules fire, the most
 * specific wins: an explicit request, a VIP complaint, anger, a falling mood, failed dialogs, then
 * turns the bot did not understand.
 */
export function evaluateTurn(
  previous: PolicySignals,
  turn: TurnObservation,
  options: HandoffPolicyOptions = defaultPolicyOptions,
): { signals: PolicySignals; reason: HandoffReason | undefined } {
  const signals: PolicySignals = { ...previous, sentimentScores: [...previous.sentimentScores] };
  const nlu = turn.nlu;
  const fired: HandoffReason[] = [];

  if (isExplicitRequest(turn.text, nlu, options)) {
    fired.push({
      trigger: 'explicit-request',
      values: nlu?.topIntent === options.requestIntent ? { intent: options.requestIntent } : { words: true },
    });
  }

  const tier = turn.member?.tier?.toLowerCase();
  if (nlu && tier && options.vipTiers.includes(tier) && nlu.topIntent === options.complaintIntent) {
    fired.push({ trigger: 'vip-complaint', values: { tier, intent: options.complaintIntent } });
  }

  if (nlu) {
    const confidence = topScore(nlu);
    signals.lastConfidence = round(confidence);
    const understood =
      turn.understood === true || (!nlu.isOutOfScope && confidence >= options.confidenceThreshold);
    signals.lowConfidenceStreak = understood ? 0 : signals.lowConfidenceStreak + 1;
    if (signals.lowConfidenceStreak >= options.lowConfidenceTurns) {
      fired.push({
        trigger: 'low-confidence',
        values: {
          confidence: round(confidence),
          threshold: options.confidenceThreshold,
          turns: signals.lowConfidenceStreak,
        },
      });
    }

    // The score, not the label: a short neutral reply ("ok") can be labelled negative at -0.05.
    // A one- or two-word command ("cancel", "no") says what to do, not how the customer feels, and the
    // lexicons read "cancel" as angry: it does not count. When a confident task intent explains the words
    // ("cancel my order"), only a much stronger score counts as anger.
    const { score, confidence: sentimentConfidence } = nlu.sentiment;
    const isCommand = turn.text.trim().split(/\s+/).length < MIN_WORDS_FOR_SENTIMENT;
    const isTask =
      !nlu.isOutOfScope &&
      nlu.topIntent !== options.complaintIntent &&
      topScore(nlu) >= options.taskConfidence;
    const threshold = isTask
      ? Math.min(options.negativeScoreThreshold, options.taskNegativeScoreThreshold)
      : options.negativeScoreThreshold;
    if (sentimentConfidence >= options.minSentimentConfidence && !isCommand) {
      signals.lastSentiment = round(score);
      signals.sentimentScores = [...signals.sentimentScores, round(score)].slice(-options.trendTurns);
      if (score <= threshold) {
        fired.push({
          trigger: 'negative-sentiment',
          values: { score: round(score), threshold },
        });
      }
      const trend = fallingTrend(signals.sentimentScores, options);
      if (trend !== undefined) {
        fired.push({
          trigger: 'sentiment-trend',
          values: { scores: signals.sentimentScores.join(','), drop: trend, minDrop: options.trendMinDrop },
        });
      }
    }
  }

  if (turn.dialogFailed === true) signals.dialogFailures += 1;
  else if (turn.dialogFailed === false) signals.dialogFailures = 0;
  if (signals.dialogFailures >= options.dialogFailures) {
    fired.push({
      trigger: 'dialog-failed',
      values: { failures: signals.dialogFailures, threshold: options.dialogFailures },
    });
  }

  fired.sort((a, b) => ORDER.indexOf(a.trigger) - ORDER.indexOf(b.trigger));
  return { signals, reason: fired[0] };
}

/** Messages shorter than this are commands: their sentiment is not read. */
const MIN_WORDS_FOR_SENTIMENT = 3;

const ORDER: HandoffTrigger[] = [
  'explicit-request',
  'vip-complaint',
  'negative-sentiment',
  'sentiment-trend',
  'dialog-failed',
  'low-confidence',
];

/** The confidence of a turn: the best in-scope intent's calibrated score. */
export function topScore(nlu: NluResult): number {
  let best = 0;
  for (const [name, { score }] of Object.entries(nlu.intents)) {
    if (name !== 'None' && score > best) best = score;
  }
  return best;
}

function isExplicitRequest(text: string, nlu: NluResult | undefined, options: HandoffPolicyOptions): boolean {
  if (nlu?.topIntent === options.requestIntent) return true;
  const words = new Set(fold(text).split(/[^a-z0-9]+/));
  return options.requestWords.some((word) => words.has(fold(word)));
}

/** Lower case without accents, so "HUMANO", "humano" and "húmano" match alike. */
function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase();
}

/** The drop of a strictly falling run of `trendTurns` scores ending below the ceiling, else undefined. */
function fallingTrend(scores: number[], options: HandoffPolicyOptions): number | undefined {
  if (scores.length < options.trendTurns) return undefined;
  for (let i = 1; i < scores.length; i++) {
    if ((scores[i] ?? 0) >= (scores[i - 1] ?? 0)) return undefined;
  }
  const drop = round((scores[0] ?? 0) - (scores[scores.length - 1] ?? 0));
  const last = scores[scores.length - 1] ?? 0;
  return drop >= options.trendMinDrop && last <= options.trendCeiling ? drop : undefined;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
