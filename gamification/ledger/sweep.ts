import type { Ledger } from './types.js';

/**
 * Writes the expiry entries of every member now. Expiry is lazy (every read or write of a member first
 * expires what is due), so balances are always right without this; a nightly sweep only makes the
 * stored entries and reports current for members nobody has touched, and tells the ledger's expiry
 * listeners (`onExpired`) what expired. Returns the members swept.
 */
export async function sweepExpiredPoints(ledger: Ledger): Promise<number> {
  let members = 0;
  for await (const memberId of ledger.members()) {
    await ledger.balance(memberId);
    members += 1;
  }
  return members;
}
