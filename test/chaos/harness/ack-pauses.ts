/**
 * The longest pause in acknowledgements around each fault: the widest gap between two consecutive
 * acknowledgements (over every client) that overlaps the fault's window, from the fault until the
 * next one (or until the load stopped). Under the steady load acknowledgements come every few
 * tens of milliseconds, so a wide gap is the time the fault held sends up.
 */
import type { ChatLoad } from './chat-load';

export interface FaultMark {
  fault: string;
  at: number;
}

export interface AckPause {
  fault: string;
  longestPauseMs: number;
  /** Acknowledgements received within the fault's window. */
  acknowledged: number;
}

export function ackPauses(load: ChatLoad, phase: string, marks: FaultMark[], loadStoppedAt: number): AckPause[] {
  const acks = load.clients
    .flatMap((client) => client.sends.filter((s) => s.phase === phase))
    .flatMap((send) => send.attempts.filter((a) => a.outcome === 'ack').map((a) => a.at))
    .sort((a, b) => a - b);
  return marks.map(({ fault, at: from }, i) => {
    const to = marks[i + 1]?.at ?? loadStoppedAt;
    let longestPauseMs = 0;
    for (let k = 1; k < acks.length; k++) {
      if (acks[k]! >= from && acks[k - 1]! <= to) longestPauseMs = Math.max(longestPauseMs, acks[k]! - acks[k - 1]!);
    }
    return { fault, longestPauseMs, acknowledged: acks.filter((t) => t >= from && t <= to).length };
  });
}
