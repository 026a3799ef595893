import { limits } from '@pneumatic/contracts';

/**
 * Where a page of a user's conversations ended. The list runs newest activity first, ties broken
 * by id, so the last row's (activity, id) is a complete keyset cursor. Activity is kept in whole
 * microseconds since the epoch, Postgres's own precision, so the cursor compares exactly.
 */
export interface ListPosition {
  activityMicros: string;
  id: string;
}

const uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const positionPattern = new RegExp(`^(-?\\d{1,19}):(${uuid})$`);

/** Encoded so clients treat it as opaque. */
export const encodeListCursor = ({ activityMicros, id }: ListPosition): string =>
  Buffer.from(`${activityMicros}:${id}`, 'utf8').toString('base64url');

/** The position a cursor stands for, or null when it is not one this service issued. */
export function decodeListCursor(cursor: string): ListPosition | null {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const match = positionPattern.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) return null;
  const position = { activityMicros: match[1]!, id: match[2]! };
  return encodeListCursor(position) === cursor ? position : null;
}

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

/**
 * The leading items whose serialized size stays within the budget. The first is always kept, so
 * every page moves the cursor forward; one summary is far smaller than a NATS message.
 */
export function withinBytes<T>(items: T[], budget: number = limits.conversationsPageMaxBytes, sizeOf: (item: T) => number = jsonBytes): T[] {
  let used = 0;
  let count = 0;
  for (const item of items) {
    used += sizeOf(item);
    if (count > 0 && used > budget) break;
    count++;
  }
  return items.slice(0, count);
}
