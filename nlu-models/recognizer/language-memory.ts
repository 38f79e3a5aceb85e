/**
 * The sticky per-user language default: the last language detected with confidence for a user.
 * Short replies ("ok", "no", "vale") carry no language evidence; the conversation's language does.
 * Bounded (least recently used out first) so a long-running process cannot grow without limit.
 */
import type { Language } from '../text/stemmer.js';

/** Remembers each user's language. */
export class LanguageMemory {
  private readonly languages = new Map<string, Language>();

  constructor(private readonly maxUsers = 10_000) {}

  /** The remembered language of a user, if any. */
  get(userId: string): Language | undefined {
    const language = this.languages.get(userId);
    if (language !== undefined) {
      this.languages.delete(userId);
      this.languages.set(userId, language);
    }
    return language;
  }

  /** Remembers a user's language. */
  set(userId: string, language: Language): void {
    this.languages.delete(userId);
    this.languages.set(userId, language);
    if (this.languages.size > this.maxUsers) {
      const oldest = this.languages.keys().next().value;
      if (oldest !== undefined) this.languages.delete(oldest);
    }
  }
}
