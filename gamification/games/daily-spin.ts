import { RelevoError } from '../../core/errors.js';
import { cryptoRandomInt, type RandomInt } from './trivia.js';

/** A slot of the wheel: `weight` out of the sum of all weights is its chance. */
export interface SpinPrize {
  id: string;
  /** Label per language (`{en: '50 points', es: '50 puntos'}`). */
  label: Record<string, string>;
  /** Points the prize pays; 0 for "try again tomorrow". */
  points: number;
  weight: number;
}

/** The odds shown to the member before they spin (issue 10: published odds). */
export interface PublishedOdds {
  id: string;
  label: string;
  points: number;
  /** Exact chance, 0–1. */
  probability: number;
  /** The chance as the member reads it, e.g. "12.5 %". */
  percent: string;
}

/** Each prize's exact chance, in the given language (English when a label is missing). */
export function publishedOdds(prizes: readonly SpinPrize[], language = 'en'): PublishedOdds[] {
  const total = totalWeight(prizes);
  return prizes.map((prize) => {
    const probability = prize.weight / total;
    return {
      id: prize.id,
      label: prize.label[language] ?? prize.label.en ?? prize.id,
      points: prize.points,
      probability,
      percent: `${Number((probability * 100).toFixed(2))} %`,
    };
  });
}

/**
 * Spins the wheel on the server with cryptographic randomness (`crypto.randomInt`, uniform without
 * modulo bias), so neither the client nor a predictable generator decides the prize.
 */
export function spinWheel(prizes: readonly SpinPrize[], random: RandomInt = cryptoRandomInt): SpinPrize {
  let ticket = random(totalWeight(prizes));
  for (const prize of prizes) {
    if (ticket < prize.weight) return prize;
    ticket -= prize.weight;
  }
  throw new RelevoError('RELEVO_SPIN_INTERNAL', 'The spin fell outside the wheel');
}

function totalWeight(prizes: readonly SpinPrize[]): number {
  const total = prizes.reduce((sum, prize) => sum + prize.weight, 0);
  if (
    prizes.length === 0 ||
    total <= 0 ||
    prizes.some((p) => !Number.isSafeInteger(p.weight) || p.weight < 0)
  ) {
    throw new RelevoError('RELEVO_SPIN_NO_PRIZES', 'The wheel needs prizes with whole, non-negative weights');
  }
  return total;
}
