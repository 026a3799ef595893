import { limits, usernamePattern } from '@pneumatic/contracts';

/**
 * The user list is ordered by lower(username), which is unique, so the last name of a page is
 * a complete keyset cursor. It is encoded so clients treat it as opaque.
 */
export const encodeCursor = (lowerUsername: string): string => Buffer.from(lowerUsername, 'utf8').toString('base64url');

/** The lower-case username a cursor stands for, or null when it is not one this service issued. */
export function decodeCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const name = Buffer.from(cursor, 'base64url').toString('utf8');
  const wellFormed =
    encodeCursor(name) === cursor &&
    name.length <= limits.usernameMaxChars &&
    usernamePattern.test(name) &&
    name === name.toLowerCase();
  return wellFormed ? name : null;
}

/** A LIKE pattern matching names that start with `q`, whatever its case; `_` and `%` match only themselves. */
export const prefixPattern = (q: string): string => `${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function pageSizeViolation(limit: number): string | null {
  return limit >= 1 && limit <= limits.usersMaxLimit ? null : `limit: must be between 1 and ${limits.usersMaxLimit}`;
}

/** Splits a page fetched with one extra row into the page and the cursor of what follows. */
export function pageOf<T extends { username: string }>(rows: T[], limit: number): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.username.toLowerCase()) : null };
}
