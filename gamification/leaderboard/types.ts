export interface LeaderboardRow {
  /** 1-based. */
  rank: number;
  memberId: string;
  score: number;
}

/** "Top 10 and your rank": what the chat and `/api/leaderboards/{name}` show. */
export interface Standings {
  board: string;
  top: LeaderboardRow[];
  /** The asking member's row, absent when they have no score or opted out. */
  you?: LeaderboardRow;
}

/**
 * Leaderboards: scores only rise (`raise`), equal scores rank by who got there first, and a member
 * who opts out is removed from every board and never added again until they opt back in.
 */
export interface LeaderboardStore {
  /** Sets the member's score on `board` to `score` if that is higher than what they have. */
  raise(board: string, memberId: string, score: number, at: number): Promise<void>;
  standings(board: string, memberId?: string, size?: number): Promise<Standings>;
  setOptOut(memberId: string, isOptedOut: boolean): Promise<void>;
  isOptedOut(memberId: string): Promise<boolean>;
}
