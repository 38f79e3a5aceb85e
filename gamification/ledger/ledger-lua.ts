/**
 * The ledger's Lua, one script per operation, each starting with the same prelude: the algorithm of
 * `MemberBook` (memory) written once more for Redis, so check + apply + append is one atomic step and
 * concurrent debits can never overdraw. Every key of a member shares the hash tag `{m:<memberId>}`.
 *
 * KEYS[1..6]: state (hash: balance, lifetime, seq, refund:<debit>, reversed:<entry>), entries (hash
 * id → JSON), log (list of ids in append order), lots (zset: score = expiresAt or +inf, member =
 * zero-padded seq, so equal expiries keep earn order), lotdata (hash seq → {r, x, e} and e:<entry> →
 * seq), keys (hash idempotency key → fingerprint "\n" first result). ARGV[1] member id, ARGV[2] now.
 *
 * Every reply carries `expired`, the expiry entries this run wrote (absent when none), also inside a
 * remembered result, so a replayed write reports the expiry of its first run again.
 */
export const LEDGER_PRELUDE = `
local state, entries, log, lots, lotdata, idem = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local member, now = ARGV[1], tonumber(ARGV[2])
local expired = {}

local function num(field) return tonumber(redis.call('HGET', state, field) or '0') end

local function reply(status, fields)
  fields = fields or {}
  fields.status = status
  if #expired > 0 then fields.expired = expired end
  return cjson.encode(fields)
end

local function append(e)
  local balance = num('balance') + e.delta
  redis.call('HSET', state, 'balance', balance)
  e.memberId = member
  e.balanceAfter = balance
  redis.call('HSET', entries, e.id, cjson.encode(e))
  redis.call('RPUSH', log, e.id)
  return e
end

local function add_lot(amount, expires_at, entry_id)
  local field = string.format('%015d', redis.call('HINCRBY', state, 'seq', 1))
  redis.call('ZADD', lots, expires_at or '+inf', field)
  redis.call('HSET', lotdata, field, cjson.encode({ r = amount, x = expires_at, e = entry_id }))
  redis.call('HSET', lotdata, 'e:' .. entry_id, field)
end

local function remove_lot(field, entry_id)
  redis.call('ZREM', lots, field)
  redis.call('HDEL', lotdata, field, 'e:' .. entry_id)
end

local function expire_due()
  for _, field in ipairs(redis.call('ZRANGEBYSCORE', lots, '-inf', now)) do
    local lot = cjson.decode(redis.call('HGET', lotdata, field))
    if lot.r > 0 then
      expired[#expired + 1] = append({ id = 'sys:expire:' .. lot.e .. '#' .. tonumber(field), delta = -lot.r,
        reason = 'expired', at = lot.x, kind = 'expiry', compensates = lot.e })
    end
    remove_lot(field, lot.e)
  end
end

-- Takes amount from the lots, soonest-expiring first. Returns the latest expiry touched: -1 when a
-- lot that never expires was touched, 0 when none was.
local function consume(amount)
  local left, latest = amount, 0
  while left > 0 do
    local field = redis.call('ZRANGE', lots, 0, 0)[1]
    if not field then break end
    local lot = cjson.decode(redis.call('HGET', lotdata, field))
    local take = math.min(lot.r, left)
    lot.r = lot.r - take
    left = left - take
    if latest ~= -1 then
      if lot.x == nil then latest = -1 else latest = math.max(latest, lot.x) end
    end
    if lot.r == 0 then remove_lot(field, lot.e) else redis.call('HSET', lotdata, field, cjson.encode(lot)) end
  end
  return latest
end

-- A replayed key answers with its first result; the same key with other parameters is a conflict.
local function replayed(key, fp)
  local prior = redis.call('HGET', idem, key)
  if not prior then return nil end
  local nl = string.find(prior, '\\n', 1, true)
  if string.sub(prior, 1, nl - 1) ~= fp then return reply('conflict') end
  return '{"status":"replay","result":' .. string.sub(prior, nl + 1) .. '}'
end

local function remember(key, fp, result)
  if #expired > 0 then result.expired = expired end
  local json = cjson.encode(result)
  redis.call('HSET', idem, key, fp .. '\\n' .. json)
  return '{"status":"ok","result":' .. json .. '}'
end

local function totals(entry, buckets)
  return { entry = entry, balance = num('balance'), lifetime = num('lifetime'), buckets = buckets or {} }
end
`;

/** ARGV[3] key, [4] fingerprint, [5] amount, [6] reason, [7] expiresAt or '', then per bucket name, limit or '', ttlMs; KEYS[7..] bucket keys. */
export const CREDIT_LUA = `${LEDGER_PRELUDE}
local key, fp = ARGV[3], ARGV[4]
local prior = replayed(key, fp)
if prior then return prior end
expire_due()
local amount = tonumber(ARGV[5])
local expires_at = tonumber(ARGV[7])
local nb = #KEYS - 6
for i = 1, nb do
  local limit = tonumber(ARGV[7 + (i - 1) * 3 + 2])
  if limit then
    local used = tonumber(redis.call('GET', KEYS[6 + i]) or '0')
    amount = math.min(amount, math.max(0, limit - used))
  end
end
local entry = nil
if amount > 0 then
  entry = append({ id = key, delta = amount, reason = ARGV[6], at = now, kind = 'credit', expiresAt = expires_at })
  add_lot(amount, expires_at, key)
  redis.call('HINCRBY', state, 'lifetime', amount)
end
local buckets = {}
for i = 1, nb do
  local base = 7 + (i - 1) * 3
  local value
  if redis.call('EXISTS', KEYS[6 + i]) == 1 then
    value = redis.call('INCRBY', KEYS[6 + i], amount)
  else
    redis.call('SET', KEYS[6 + i], amount, 'PX', ARGV[base + 3])
    value = amount
  end
  buckets[ARGV[base + 1]] = value
end
return remember(key, fp, totals(entry, buckets))
`;

/** ARGV[3] key, [4] fingerprint, [5] amount, [6] reason. */
export const DEBIT_LUA = `${LEDGER_PRELUDE}
local key, fp = ARGV[3], ARGV[4]
local prior = replayed(key, fp)
if prior then return prior end
expire_due()
local amount = tonumber(ARGV[5])
local balance = num('balance')
if balance < amount then return reply('insufficient', { balance = balance, needed = amount }) end
redis.call('HSET', state, 'refund:' .. key, consume(amount))
local entry = append({ id = key, delta = -amount, reason = ARGV[6], at = now, kind = 'debit' })
return remember(key, fp, totals(entry))
`;

/** ARGV[3] key, [4] fingerprint, [5] entry to reverse, [6] reason. */
export const REVERSE_LUA = `${LEDGER_PRELUDE}
local key, fp, target_id = ARGV[3], ARGV[4], ARGV[5]
local prior = replayed(key, fp)
if prior then return prior end
expire_due()
local raw = redis.call('HGET', entries, target_id)
if not raw then return reply('not_found') end
local target = cjson.decode(raw)
if target.kind ~= 'credit' and target.kind ~= 'debit' then
  return reply('not_reversible', { why = 'a ' .. target.kind .. ' entry' })
end
if redis.call('HEXISTS', state, 'reversed:' .. target_id) == 1 then
  return reply('not_reversible', { why = 'already reversed' })
end
local base = { id = key, reason = ARGV[6], at = now, kind = 'reversal', compensates = target_id, delta = -target.delta }
local entry
if target.delta > 0 then
  local balance = num('balance')
  if balance < target.delta then return reply('insufficient', { balance = balance, needed = target.delta }) end
  local left = target.delta
  local own = redis.call('HGET', lotdata, 'e:' .. target_id)
  if own then
    local lot = cjson.decode(redis.call('HGET', lotdata, own))
    local take = math.min(lot.r, left)
    lot.r = lot.r - take
    left = left - take
    if lot.r == 0 then remove_lot(own, lot.e) else redis.call('HSET', lotdata, own, cjson.encode(lot)) end
  end
  consume(left)
  entry = append(base)
  redis.call('HINCRBY', state, 'lifetime', -target.delta)
else
  local refund = tonumber(redis.call('HGET', state, 'refund:' .. target_id) or '0')
  entry = append(base)
  if refund > 0 then add_lot(-target.delta, refund, key) else add_lot(-target.delta, nil, key) end
end
redis.call('HSET', state, 'reversed:' .. target_id, 1)
return remember(key, fp, totals(entry))
`;

/** ARGV[3] key, [4] fingerprint, [5] receiving member. Returns the lots and lifetime handed over. */
export const MOVE_OUT_LUA = `${LEDGER_PRELUDE}
local key, fp = ARGV[3], ARGV[4]
local prior = replayed(key, fp)
if prior then return prior end
expire_due()
local moved = {}
for i, field in ipairs(redis.call('ZRANGE', lots, 0, -1)) do
  local lot = cjson.decode(redis.call('HGET', lotdata, field))
  moved[i] = { r = lot.r, x = lot.x }
end
local balance, lifetime = num('balance'), num('lifetime')
if balance > 0 or lifetime > 0 then
  append({ id = key, delta = 0 - balance, reason = 'moved to member ' .. ARGV[5], at = now, kind = 'move' })
end
redis.call('DEL', lots, lotdata)
redis.call('HSET', state, 'lifetime', 0)
return remember(key, fp, { lots = moved, lifetime = lifetime })
`;

/** ARGV[3] move-in id, [4] fingerprint, [5] giving member, [6] JSON of what move-out returned. */
export const MOVE_IN_LUA = `${LEDGER_PRELUDE}
local key, fp = ARGV[3], ARGV[4]
local prior = replayed(key, fp)
if prior then return prior end
expire_due()
local moved = cjson.decode(ARGV[6])
local total = 0
for _, lot in ipairs(moved.lots) do total = total + lot.r end
if total > 0 or moved.lifetime > 0 then
  append({ id = key, delta = total, reason = 'moved from member ' .. ARGV[5], at = now, kind = 'move' })
  for _, lot in ipairs(moved.lots) do add_lot(lot.r, lot.x, key) end
  redis.call('HINCRBY', state, 'lifetime', moved.lifetime)
  expire_due()
end
return remember(key, fp, {})
`;

export const BALANCE_LUA = `${LEDGER_PRELUDE}
expire_due()
return reply('ok', { balance = num('balance'), lifetime = num('lifetime') })
`;

/** One consistent snapshot: the sum of every entry, of every lot, and the stored balance. */
export const VERIFY_LUA = `${LEDGER_PRELUDE}
local entries_sum, count, lots_sum = 0, 0, 0
for _, json in ipairs(redis.call('HVALS', entries)) do
  entries_sum = entries_sum + cjson.decode(json).delta
  count = count + 1
end
for _, field in ipairs(redis.call('ZRANGE', lots, 0, -1)) do
  lots_sum = lots_sum + cjson.decode(redis.call('HGET', lotdata, field)).r
end
return reply('ok', { balance = num('balance'), entriesSum = entries_sum, lotsSum = lots_sum, entries = count })
`;
