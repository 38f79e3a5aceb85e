import type { NluResult } from '../../nlu-models/recognizer/types.js';

/** An NLU result as the recognizer returns it, for policy and middleware tests. */
export function nluResult(options: {
  text?: string;
  intent?: string;
  score?: number;
  sentiment?: number;
  language?: 'en' | 'es';
  outOfScope?: boolean;
}): NluResult {
  const intent = options.intent ?? 'orders.status';
  const score = options.score ?? 0.9;
  const sentiment = options.sentiment ?? 0;
  const outOfScope = options.outOfScope ?? false;
  return {
    text: options.text ?? '',
    language: options.language ?? 'en',
    intents: outOfScope ? { None: { score: 1 - score }, [intent]: { score } } : { [intent]: { score } },
    entities: {} as NluResult['entities'],
    sentiment: {
      label: sentiment <= -0.05 ? 'negative' : sentiment >= 0.05 ? 'positive' : 'neutral',
      score: sentiment,
      confidence: 0.8,
    },
    topIntent: outOfScope ? 'None' : intent,
    isOutOfScope: outOfScope,
  };
}
