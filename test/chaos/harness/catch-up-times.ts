/**
 * How long each client took to come back from losing its socket: from the moment that socket
 * closed until a later socket had synced every one of the client's conversations to the end of
 * history (`sync` answered `has_more: false` for each, on a socket opened after the close).
 */
import type { ChatClient } from './chat-client';

export interface CatchUp {
  label: string;
  closedAt: number;
  closeCode: number;
  /** Until a new socket was open; undefined while none is. */
  reconnectedMs: number | undefined;
  /** Undefined while the client has not caught up. */
  caughtUpMs: number | undefined;
}

/** For each client, its first socket that closed at or after `since`; undefined if none has. */
export function catchUpAfter(client: ChatClient, since: number): CatchUp | undefined {
  const index = client.sessionLog.findIndex((s) => s.closedAt !== undefined && s.closedAt >= since);
  if (index === -1) return undefined;
  const closed = client.sessionLog[index]!;
  const later = client.sessionLog.slice(index + 1);
  const synced = later.find((s) => s.caughtUpAt !== undefined);
  return {
    label: client.label,
    closedAt: closed.closedAt!,
    closeCode: closed.closeCode!,
    reconnectedMs: later[0] ? later[0].openedAt - closed.closedAt! : undefined,
    caughtUpMs: synced ? synced.caughtUpAt! - closed.closedAt! : undefined,
  };
}
