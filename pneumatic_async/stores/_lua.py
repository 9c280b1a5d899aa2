"""The Redis store's scripts (each runs atomically on the server; times are the server's, ms)."""

from __future__ import annotations

from typing import Final

_NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"

# KEYS: key record. ARGV: owner, lease ms. -> {status, result, claims, retry_ms}
CLAIM_KEY: Final = (
    _NOW
    + """
local r = redis.call('HMGET', KEYS[1], 'result', 'owner', 'until', 'claims')
if r[1] then return {'done', r[1], 0, 0} end
if r[2] and r[2] ~= ARGV[1] and tonumber(r[3]) > now then
  return {'busy', '', 0, tonumber(r[3]) - now}
end
local claims = tonumber(r[4] or '0')
local untill = now + tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'until', untill, 'claims', claims + 1)
return {'acquired', '', claims, 0}
"""
)

# KEYS: key record. ARGV: result.
COMPLETE_KEY: Final = """
if not redis.call('HGET', KEYS[1], 'result') then redis.call('HSET', KEYS[1], 'result', ARGV[1]) end
redis.call('HDEL', KEYS[1], 'owner', 'until')
return 1
"""

# KEYS: key record. ARGV: owner.
RELEASE_KEY: Final = """
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'owner', 'until')
end
return 1
"""

# Batch keys: 1 meta, 2 free (zset idx->idx), 3 leases (zset idx->until), 4 state, 5 attempts,
# 6 workflow ids, 7 errors, 8 owners (hashes idx->value).

# ARGV: binding, run id, item count. -> {binding, run id, created}
OPEN_BATCH: Final = """
local m = redis.call('HMGET', KEYS[1], 'binding', 'run_id')
if m[1] then return {m[1], m[2], 0} end
redis.call('HSET', KEYS[1], 'binding', ARGV[1], 'run_id', ARGV[2], 'item_count', ARGV[3])
local n = tonumber(ARGV[3])
local i = 0
while i < n do
  local args = {}
  local j = i
  while j < n and j < i + 1000 do
    args[#args + 1] = j
    args[#args + 1] = j
    j = j + 1
  end
  redis.call('ZADD', KEYS[2], unpack(args))
  i = j
end
return {ARGV[1], ARGV[2], 1}
"""

# ARGV: owner, limit, lease ms. -> flat {idx, attempts, ...}
CLAIM_ITEMS: Final = (
    _NOW
    + """
local limit = tonumber(ARGV[2])
local untill = now + tonumber(ARGV[3])
local out = {}
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, limit)
for _, idx in ipairs(expired) do
  redis.call('ZADD', KEYS[3], untill, idx)
  redis.call('HSET', KEYS[8], idx, ARGV[1])
  out[#out + 1] = idx
  out[#out + 1] = redis.call('HGET', KEYS[5], idx) or '0'
end
local room = limit - #expired
if room > 0 then
  local free = redis.call('ZRANGE', KEYS[2], 0, room - 1)
  for _, idx in ipairs(free) do
    redis.call('ZREM', KEYS[2], idx)
    redis.call('ZADD', KEYS[3], untill, idx)
    redis.call('HSET', KEYS[8], idx, ARGV[1])
    out[#out + 1] = idx
    out[#out + 1] = redis.call('HGET', KEYS[5], idx) or '0'
  end
end
return out
"""
)

# ARGV: owner, then per update: idx, state, attempts|'', workflow id|'', error|''. -> {0|1, ...}
RECORD_ITEMS: Final = (
    _NOW
    + """
local out = {}
for k = 2, #ARGV, 5 do
  local idx, state = ARGV[k], ARGV[k + 1]
  local cur = redis.call('HGET', KEYS[4], idx) or 'pending'
  local open = cur == 'pending' or cur == 'in_flight'
  local held = redis.call('HGET', KEYS[8], idx) == ARGV[1]
  local ok
  if state == 'launched' then
    ok = cur ~= 'launched'
  elseif state == 'failed' then
    ok = held and open
  else
    local u = redis.call('ZSCORE', KEYS[3], idx)
    ok = held and open and u and tonumber(u) > now
  end
  if ok then
    redis.call('HSET', KEYS[4], idx, state)
    if ARGV[k + 2] ~= '' then redis.call('HSET', KEYS[5], idx, ARGV[k + 2]) end
    if ARGV[k + 3] ~= '' then redis.call('HSET', KEYS[6], idx, ARGV[k + 3])
    else redis.call('HDEL', KEYS[6], idx) end
    if ARGV[k + 4] ~= '' then redis.call('HSET', KEYS[7], idx, ARGV[k + 4])
    else redis.call('HDEL', KEYS[7], idx) end
    if state == 'launched' or state == 'failed' then
      redis.call('HDEL', KEYS[8], idx)
      redis.call('ZREM', KEYS[3], idx)
      redis.call('ZREM', KEYS[2], idx)
    end
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
"""
)

# ARGV: owner, lease ms, idx... -> held indexes
RENEW_ITEMS: Final = (
    _NOW
    + """
local out = {}
for k = 3, #ARGV do
  local idx = ARGV[k]
  local u = redis.call('ZSCORE', KEYS[3], idx)
  if u and tonumber(u) > now and redis.call('HGET', KEYS[8], idx) == ARGV[1] then
    redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), idx)
    out[#out + 1] = idx
  end
end
return out
"""
)

# ARGV: owner, idx...
RELEASE_ITEMS: Final = """
for k = 2, #ARGV do
  local idx = ARGV[k]
  if redis.call('HGET', KEYS[8], idx) == ARGV[1] and redis.call('ZSCORE', KEYS[3], idx) then
    redis.call('HDEL', KEYS[8], idx)
    redis.call('ZREM', KEYS[3], idx)
    redis.call('ZADD', KEYS[2], idx, idx)
  end
end
return 1
"""
