/** Stand-ins for the gateway's infrastructure when everything runs in one process (npm start). */
export { InMemoryRateCounter } from './http/rate-limits';
