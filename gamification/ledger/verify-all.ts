import type { Ledger, LedgerVerification } from './types.js';

export interface LedgerAudit {
  members: number;
  entries: number;
  inconsistent: LedgerVerification[];
}

/**
 * Verifies every member of a ledger (sum of entries = balance = sum of unexpired lots, never
 * negative). What `npm run ledger:verify` runs; usable from a scheduled job too.
 */
export async function verifyLedger(ledger: Ledger): Promise<LedgerAudit> {
  const audit: LedgerAudit = { members: 0, entries: 0, inconsistent: [] };
  for await (const memberId of ledger.members()) {
    const verification = await ledger.verify(memberId);
    audit.members += 1;
    audit.entries += verification.entries;
    if (!verification.isConsistent) audit.inconsistent.push(verification);
  }
  return audit;
}

/** The human table and, as its last line, one JSON object of the figures (DESIGN.md §4). */
export function formatAudit(audit: LedgerAudit): string {
  const lines = [
    `members  ${audit.members}`,
    `entries  ${audit.entries}`,
    `inconsistent  ${audit.inconsistent.length}`,
  ];
  for (const bad of audit.inconsistent) {
    lines.push(
      `  ${bad.memberId}: balance ${bad.balance}, entries sum ${bad.entriesSum}, lots sum ${bad.lotsSum}`,
    );
  }
  const json = {
    members: audit.members,
    entries: audit.entries,
    inconsistent: audit.inconsistent.length,
    inconsistentMembers: audit.inconsistent.map((v) => v.memberId),
  };
  return `${lines.join('\n')}\n${JSON.stringify(json)}\n`;
}
