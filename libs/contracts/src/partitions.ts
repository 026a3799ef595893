/**
 * Sends and read receipts of one conversation go to one messages replica at a time (docs/scale-out.md,
 * Messages replicas): the gateway hashes the conversation id to one of `partitions` partitions
 * and requests `<subject>.<partition>`, which only the replica leasing that partition serves. The
 * contract's own subject stays served by every replica's queue group, for a partition without an
 * owner and for callers that do not partition.
 */
export const defaultMessagesPartitions = 16;

/** FNV-1a (32-bit) of a string's UTF-16 code units: cheap, stable across processes and versions. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The partition, 0..partitions-1, a conversation's sends and read receipts belong to. */
export const partitionOf = (conversationId: string, partitions: number): number => fnv1a(conversationId) % partitions;

/** The subject one partition of a partitioned contract is served on. */
export const partitionSubject = (subject: string, partition: number): string => `${subject}.${partition}`;
