import type { Duplex } from 'node:stream';

/**
 * Holds each socket's writes until the end of the current event-loop turn, then lets them go
 * together. A socket that is sent several frames in one turn (a burst of fan-out events arriving
 * in one NATS read, an ack and its echo) then costs one write syscall instead of one per frame;
 * a socket sent one frame pays nothing extra but a setImmediate's delay.
 */
export class TurnWrites {
  private readonly held = new Set<Duplex>();

  hold(socket: Duplex): void {
    if (this.held.has(socket) || socket.destroyed) return;
    socket.cork();
    this.held.add(socket);
    if (this.held.size === 1) setImmediate(this.release);
  }

  private readonly release = (): void => {
    const sockets = [...this.held];
    this.held.clear();
    for (const socket of sockets) socket.uncork();
  };
}
