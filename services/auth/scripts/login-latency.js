// Median login latency with the default argon2 parameters: spawns the real auth service (built,
// from dist) in an isolated test context and times 50 logins over NATS.
// Usage: npx tsc -b && node services/auth/scripts/login-latency.js [count]
const { contracts } = require('@pneumatic/contracts');
const { createTestContext, spawnService } = require('@pneumatic/testkit');

async function main() {
  const count = Number(process.argv[2] ?? 50);
  const ctx = await createTestContext('login_latency');
  const auth = await spawnService('auth', { ...ctx.env, LOG_LEVEL: 'warn' });
  try {
    const bus = await ctx.connectBus();
    const credentials = { username: 'latency_probe', password: 'a-long-enough-password' };
    await bus.call(contracts.authSignup, credentials);
    await bus.call(contracts.authLogin, credentials); // warm-up
    const times = [];
    for (let i = 0; i < count; i++) {
      const start = process.hrtime.bigint();
      await bus.call(contracts.authLogin, credentials);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    times.sort((a, b) => a - b);
    const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1);
    console.log(`${count} logins: median ${at(0.5)} ms, p90 ${at(0.9)} ms, min ${at(0)} ms, max ${at(1)} ms`);
  } finally {
    await auth.stop();
    await ctx.cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
