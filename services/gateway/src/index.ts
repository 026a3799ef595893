/** The gateway's public surface: what a launcher needs to run it inside its own process. */
export { loadGatewayConfig, startGatewayService } from './service';
export { redisRateCounter, type RateCounter } from './http/rate-limits';
