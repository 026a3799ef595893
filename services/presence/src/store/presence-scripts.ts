/**
 * Lua scripts deciding presence transitions atomically in Redis, so any number of presence
 * replicas agree on each one and only the replica whose script made it publishes it. Time is
 * Redis's own clock (TIME), so replicas with skewed clocks still agree on what has expired.
 *
 * Invariant: a user's announced key exists exactly while they have an entry in the offline-due set.
 */
const now = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** The end of the user's latest live lease, after dropping expired ones; nil when none lives. */
const lastLeaseEnd = `
local function lastLeaseEnd(leases, now)
  redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
  local top = redis.call('ZRANGE', leases, -1, -1, 'WITHSCORES')
  if top[2] then return tonumber(top[2]) end
  return nil
end
`;

/**
 * KEYS: leases, announced, offline-due, closed-connection marker. ARGV: user, connection, ttl ms, grace ms.
 * Returns 1 when the user just went online, 0 when nothing changed, -1 for an already-closed connection
 * (a heartbeat or connect that raced its own disconnect).
 */
export const renewLeaseLua = `${now}${lastLeaseEnd}
if redis.call('EXISTS', KEYS[4]) == 1 then return -1 end
local ttl, grace = tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], 'GT', now + ttl, ARGV[2])
local last = lastLeaseEnd(KEYS[1], now)
redis.call('PEXPIRE', KEYS[1], last - now + grace)
redis.call('ZADD', KEYS[3], last + grace, ARGV[1])
if redis.call('SET', KEYS[2], '1', 'NX') then return 1 end
return 0
`;

/**
 * KEYS: leases, announced, offline-due, closed-connection marker. ARGV: user, connection, ttl ms, grace ms.
 * Ends one lease now and marks the connection closed for a TTL; the offline transition itself is
 * left to the sweeper, after the grace period.
 */
export const releaseLeaseLua = `${now}${lastLeaseEnd}
local ttl, grace = tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('SET', KEYS[4], '1', 'PX', ttl)
redis.call('ZREM', KEYS[1], ARGV[2])
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
local last = lastLeaseEnd(KEYS[1], now) or now
redis.call('ZADD', KEYS[3], last + grace, ARGV[1])
return 0
`;

/** KEYS: offline-due. ARGV: page size. Users whose offline moment has passed. */
export const dueOfflineLua = `${now}
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
`;

/**
 * KEYS: leases, announced, offline-due. ARGV: user, grace ms.
 * Returns 1 to the one caller that takes the user offline; 0 when a lease was renewed meanwhile
 * or another replica already did.
 */
export const claimOfflineLua = `${now}${lastLeaseEnd}
local due = redis.call('ZSCORE', KEYS[3], ARGV[1])
if not due or tonumber(due) > now then return 0 end
local last = lastLeaseEnd(KEYS[1], now)
if last then
  redis.call('ZADD', KEYS[3], last + tonumber(ARGV[2]), ARGV[1])
  return 0
end
redis.call('ZREM', KEYS[3], ARGV[1])
return redis.call('DEL', KEYS[2])
`;

/** KEYS: offline-due. ARGV: user ids. The ids (in order) that are online now, grace period included. */
export const onlineAmongLua = `${now}
local due = redis.call('ZMSCORE', KEYS[1], unpack(ARGV))
local online = {}
for i = 1, #ARGV do
  if due[i] and tonumber(due[i]) > now then online[#online + 1] = ARGV[i] end
end
return online
`;
