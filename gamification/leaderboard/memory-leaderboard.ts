import type { LeaderboardRow, LeaderboardStore, Standings } from './types.js';

/** {@link LeaderboardStore} in process memory (sorted on read). */
export class MemoryLeaderboardStore implements LeaderboardStore {
  private readonly boards = new Map<string, Map<string, { score: number; at: number }>>();
  private readonly optedOut = new Set<string>();

  async raise(board: string, memberId: string, score: number, at: number): Promise<void> {
    if (this.optedOut.has(memberId)) return;
    let scores = this.boards.get(board);
    if (scores === undefined) {
      scores = new Map();
      this.boards.set(board, scores);
    }
    const current = scores.get(memberId);
    if (current === undefined || current.score < score) scores.set(memberId, { score, at });
  }

  async standings(board: string, memberId?: string, size = 10): Promise<Standings> {
    const rows: LeaderboardRow[] = [...(this.boards.get(board) ?? new Map()).entries()]
      .sort(([a, x], [b, y]) => y.score - x.score || x.at - y.at || a.localeCompare(b))
      .map(([id, { score }], index) => ({ rank: index + 1, memberId: id, score }));
    const you = memberId === undefined ? undefined : rows.find((row) => row.memberId === memberId);
    return { board, top: rows.slice(0, size), ...(you === undefined ? {} : { you }) };
  }

  async setOptOut(memberId: string, isOptedOut: boolean): Promise<void> {
    if (!isOptedOut) {
      this.optedOut.delete(memberId);
      return;
    }
    this.optedOut.add(memberId);
    for (const scores of this.boards.values()) scores.delete(memberId);
  }

  async isOptedOut(memberId: string): Promise<boolean> {
    return this.optedOut.has(memberId);
  }
}
