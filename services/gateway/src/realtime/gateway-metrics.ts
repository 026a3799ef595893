import type { Metrics } from '@pneumatic/platform';
import { Counter, Gauge, Histogram } from 'prom-client';

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

/** The gateway's own metrics, with the names seed 001 uses. */
export function createGatewayMetrics({ registry }: Metrics) {
  const registers = [registry];
  const sent = new Counter({ name: 'pneumatic_messages_sent_total', help: 'Messages accepted from clients', registers });
  let lastCount = 0;
  let lastAt = Date.now();
  return {
    connectionsTotal: new Counter({ name: 'pneumatic_websocket_connections_total', help: 'WebSocket connections opened', registers }),
    connectionsActive: new Gauge({ name: 'pneumatic_websocket_connections_active', help: 'WebSocket connections open now', registers }),
    messagesSent: sent,
    messagesPerSecond: new Gauge({
      name: 'pneumatic_messages_per_second',
      help: 'Messages accepted per second since the previous scrape',
      registers,
      async collect() {
        const count = (await sent.get()).values[0]?.value ?? 0;
        const now = Date.now();
        this.set(now > lastAt ? ((count - lastCount) * 1000) / (now - lastAt) : 0);
        lastCount = count;
        lastAt = now;
      },
    }),
    deliveryLatency: new Histogram({
      name: 'pneumatic_delivery_latency_seconds',
      help: 'From a message being stored to this gateway writing it to sockets',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    slowConsumersClosed: new Counter({
      name: 'pneumatic_websocket_slow_consumers_closed_total',
      help: 'Sockets closed (4008) because their send buffer passed WS_MAX_BUFFERED_BYTES',
      registers,
    }),
    realtimeReceived: new Counter({
      name: 'pneumatic_gateway_realtime_messages_received_total',
      help: 'Realtime events this gateway received from NATS (conversation, user and presence subjects), by event type',
      labelNames: ['event'] as const,
      registers,
    }),
    framesRejected: new Counter({
      name: 'pneumatic_websocket_frames_rejected_total',
      help: 'Client frames answered with an error, by code',
      labelNames: ['code'] as const,
      registers,
    }),
  };
}
