/**
 * The Lua scripts of the Redis live state. Each use case is one script, so
 * Redis runs it atomically: two processes can never claim the same waiting
 * person, and a session is never half moved.
 *
 * Every key starts with the prefix passed as KEYS[1] ("tc:{pool}:"), so all
 * keys one script touches share one hash tag and land in one Redis Cluster
 * slot. Common arguments: ARGV[1] now (ms), ARGV[2] grace ms, ARGV[3]
 * tombstone ms, ARGV[4] interest wait ms, ARGV[5] this node's id; a script's
 * own arguments follow from ARGV[6].
 *
 * Keys (after the prefix):
 *   s:<sid>    hash  a session: i install, n node, st idle|waiting|matched|away,
 *                    it interests (JSON), j joined at, o arrival order, av install to avoid,
 *                    m match id, r seat in it (o|a)
 *   S          set   connected session ids (online count)
 *   ns:<node>  set   a node's connected sessions (reaped when it dies)
 *   nw:<node>  set   a node's waiting sessions (stats pushes)
 *   in:<inst>  set   an install's sessions, connected or away (bans)
 *   q          zset  waiting, by arrival order (seq); qi:<tag> the same per interest;
 *                    qo those open to anyone (no interests, or their wait ran out)
 *   open       zset  waiting, by the time their interest wait runs out (swept once)
 *   m:<mid>    hash  a match: o, a seat session ids; oi, ai installs; s start; c common interests (JSON)
 *   grace      zset  away seats by the end of their grace
 *   held:<sid> list  signals held for an away seat
 *   tomb:<mid>, ewa:<sid>, calls, seq, blk:<inst>, ban:<inst>, conn:<addr>, hb:<node>, N (nodes)
 * Effects for people are published on fx:<node> (the holding node emits them); call
 * records come back in the reply, for the node that ran the script to store.
 */

const HEADER = `
local P = KEYS[1]
local NOW = tonumber(ARGV[1])
local GRACE = tonumber(ARGV[2])
local TOMB = tonumber(ARGV[3])
local WAIT = tonumber(ARGV[4])
local NODE = ARGV[5]
local E = {}
local function key(a, b) if b then return P .. a .. ':' .. b end return P .. a end
-- An effect for a connection is published, from inside the script, on the channel of the node
-- holding it: every message to one person then arrives in the order the scripts ran, whichever
-- nodes ran them (replies and separate publishes from different nodes could overtake each other).
local function fx(kind, to, ...)
  if kind == 'call' then E[#E + 1] = {kind, to, ...} return end
  local node = redis.call('HGET', P .. 's:' .. to, 'n')
  if node then redis.call('SPUBLISH', P .. 'fx:' .. node, cjson.encode({kind, to, ...})) end
end
local function alive(node) return node ~= nil and node ~= false and redis.call('EXISTS', key('hb', node)) == 1 end
local function sget(sid, field) return redis.call('HGET', key('s', sid), field) end

local function partnerOf(mid, sid)
  local m = redis.call('HMGET', key('m', mid), 'o', 'a')
  if m[1] == sid then return m[2] elseif m[2] == sid then return m[1] end
  return nil
end

local function unqueue(sid)
  local f = redis.call('HMGET', key('s', sid), 'it', 'n')
  if f[1] then for _, tag in ipairs(cjson.decode(f[1])) do redis.call('ZREM', key('qi', tag), sid) end end
  redis.call('ZREM', key('q'), sid)
  redis.call('ZREM', key('qo'), sid)
  redis.call('ZREM', key('open'), sid)
  if f[2] then redis.call('SREM', key('nw', f[2]), sid) end
end

local function forget(sid)
  local f = redis.call('HMGET', key('s', sid), 'n', 'i')
  if f[1] then redis.call('SREM', key('ns', f[1]), sid) end
  if f[2] then redis.call('SREM', key('in', f[2]), sid) end
  redis.call('SREM', key('S'), sid)
  redis.call('DEL', key('s', sid), key('held', sid))
end

local function enqueue(sid)
  local s = key('s', sid)
  local f = redis.call('HMGET', s, 'st', 'o', 'it', 'n')
  local order = f[2]
  if f[1] ~= 'waiting' then
    -- Arrival order is a counter, not the clock: two joins in the same millisecond keep their order.
    order = redis.call('INCR', key('seq'))
    redis.call('HSET', s, 'st', 'waiting', 'j', NOW, 'o', order)
    redis.call('ZADD', key('open'), NOW + WAIT, sid)
  end
  redis.call('ZADD', key('q'), order, sid)
  local tags = cjson.decode(f[3] or '[]')
  for _, tag in ipairs(tags) do redis.call('ZADD', key('qi', tag), order, sid) end
  -- Open to anyone at once without interests; with interests, once their wait (from the first join,
  -- kept across a re-join that changes interests) runs out: now if it has, else when the tick sees it.
  local joined = tonumber(redis.call('HGET', s, 'j'))
  if #tags == 0 or NOW - joined >= WAIT then
    redis.call('ZADD', key('qo'), order, sid)
  else
    redis.call('ZREM', key('qo'), sid)
    redis.call('ZADD', key('open'), joined + WAIT, sid)
  end
  if f[4] then redis.call('SADD', key('nw', f[4]), sid) end
end

local function endMatch(mid, by, reason)
  local mk = key('m', mid)
  local m = redis.call('HMGET', mk, 'o', 'a', 'oi', 'ai', 's')
  if not m[1] then return end
  redis.call('DEL', mk)
  redis.call('SET', key('tomb', mid), reason, 'PX', TOMB)
  for _, seat in ipairs({{m[1], m[4]}, {m[2], m[3]}}) do
    local sid, other = seat[1], seat[2]
    local st = sget(sid, 'st')
    if st == 'away' then
      redis.call('ZREM', key('grace'), sid)
      redis.call('SET', key('ewa', sid), mid, 'PX', 60000)
      forget(sid)
    elseif st then
      if sid ~= by then fx('ended', sid, mid, reason) end
      redis.call('HSET', key('s', sid), 'st', 'idle', 'av', other)
      redis.call('HDEL', key('s', sid), 'm', 'r')
    end
  end
  redis.call('DECRBY', key('calls'), 2)
  fx('call', mid, m[5], reason)
end

local function goAway(sid, tell)
  local s = key('s', sid)
  local f = redis.call('HMGET', s, 'm', 'n')
  redis.call('HSET', s, 'st', 'away')
  redis.call('ZADD', key('grace'), NOW + GRACE, sid)
  redis.call('SREM', key('S'), sid)
  if f[2] then
    redis.call('SREM', key('ns', f[2]), sid)
    redis.call('SREM', key('nw', f[2]), sid)
  end
  local p = partnerOf(f[1], sid)
  if tell and p and sget(p, 'st') == 'matched' then fx('away', p, f[1]) end
end

-- A dropped connection (or one on a dead node).
local function drop(sid)
  local st = sget(sid, 'st')
  if st == 'waiting' then unqueue(sid); forget(sid)
  elseif st == 'matched' then goAway(sid, true)
  elseif st == 'idle' then forget(sid) end
end

-- Puts connection sid (on NODE) in seat; returns the signals held for it.
local function takeSeat(seat, sid)
  local f = redis.call('HMGET', key('s', seat), 'm', 'st', 'r', 'i', 'n')
  local mid, st, role, inst, oldNode = f[1], f[2], f[3], f[4], f[5]
  local wasAway = st == 'away'
  if wasAway then redis.call('ZREM', key('grace'), seat) end
  local held = redis.call('LRANGE', key('held', seat), 0, -1)
  redis.call('DEL', key('held', seat))
  if seat ~= sid then
    if redis.call('EXISTS', key('s', sid)) == 1 then forget(sid) end
    if oldNode then redis.call('SREM', key('ns', oldNode), seat) end
    redis.call('SREM', key('S'), seat)
    redis.call('SREM', key('in', inst), seat)
    redis.call('RENAME', key('s', seat), key('s', sid))
    redis.call('HSET', key('m', mid), role, sid)
    if st == 'matched' then
      -- Taken over from a live connection of the same install: that one is idle now and told so.
      redis.call('HSET', key('s', seat), 'i', inst, 'n', oldNode, 'st', 'idle')
      redis.call('SADD', key('S'), seat)
      redis.call('SADD', key('ns', oldNode), seat)
      redis.call('SADD', key('in', inst), seat)
      fx('ended', seat, mid, 'ended')
    end
  end
  redis.call('HSET', key('s', sid), 'st', 'matched', 'n', NODE)
  redis.call('SADD', key('S'), sid)
  redis.call('SADD', key('ns', NODE), sid)
  redis.call('SADD', key('in', inst), sid)
  local p = partnerOf(mid, sid)
  if wasAway and p and sget(p, 'st') == 'matched' then fx('back', p, mid) end
  return held
end

local function banInstall(inst)
  for _, sid in ipairs(redis.call('SMEMBERS', key('in', inst))) do
    local connected = redis.call('SISMEMBER', key('S'), sid) == 1
    local f = redis.call('HMGET', key('s', sid), 'm', 'st')
    if f[1] then endMatch(f[1], sid, 'ended') end
    -- Out of the queue now, not when the kick reaches its node: nobody is paired with them meanwhile.
    if f[2] == 'waiting' then unqueue(sid); redis.call('HSET', key('s', sid), 'st', 'idle') end
    if connected then fx('kick', sid) end
  end
end

-- What a resume answers about a seat: state, role, partner presence and install, start, common interests.
local function seatView(sid)
  local f = redis.call('HMGET', key('s', sid), 'm', 'r')
  local m = redis.call('HMGET', key('m', f[1]), 'o', 'a', 'oi', 'ai', 's', 'c')
  local p, pinst
  if f[2] == 'o' then p, pinst = m[2], m[4] else p, pinst = m[1], m[3] end
  local present = 'present'
  if sget(p, 'st') == 'away' then present = 'away' end
  return {'matched', f[1], f[2], present, pinst, m[5], m[6]}
end
`;

const script = (body: string) => `${HEADER}\n${body}`;

/** name → [Lua, number of keys]. */
export const SCRIPTS = {
  tcConnect: script(`
local sid, inst, recovered = ARGV[6], ARGV[7], ARGV[8] == '1'
if recovered then
  local f = redis.call('HMGET', key('s', sid), 'st', 'i')
  if f[1] == 'away' and f[2] == inst then
    for _, h in ipairs(takeSeat(sid, sid)) do fx('signal', sid, h) end
    return {'ok', {}, E}
  end
end
redis.call('DEL', key('s', sid))
redis.call('HSET', key('s', sid), 'i', inst, 'n', NODE, 'st', 'idle')
redis.call('SADD', key('S'), sid)
redis.call('SADD', key('ns', NODE), sid)
redis.call('SADD', key('in', inst), sid)
if recovered then
  local ended = redis.call('GET', key('ewa', sid))
  local reason = ended and redis.call('GET', key('tomb', ended))
  if reason then fx('ended', sid, ended, reason) end
end
return {'ok', {}, E}`),

  tcDisconnect: script(`
drop(ARGV[6])
return {'ok', {}, E}`),

  tcJoin: script(`
local sid = ARGV[6]
local s = key('s', sid)
local f = redis.call('HMGET', s, 'st', 'it')
if not f[1] then return {'internal'} end
if f[1] == 'matched' then return {'in_match'} end
if ARGV[7] == '1' then
  if f[1] == 'waiting' and f[2] then
    for _, tag in ipairs(cjson.decode(f[2])) do redis.call('ZREM', key('qi', tag), sid) end
  end
  redis.call('HSET', s, 'it', ARGV[8])
end
enqueue(sid)
return {'ok', {'waiting'}, E}`),

  tcNext: script(`
local sid = ARGV[6]
local f = redis.call('HMGET', key('s', sid), 'st', 'm')
if not f[1] then return {'internal'} end
if f[1] == 'waiting' then return {'ok', {'waiting'}, E} end
if f[2] then endMatch(f[2], sid, 'next') end
enqueue(sid)
return {'ok', {'waiting'}, E}`),

  tcLeave: script(`
local sid = ARGV[6]
local f = redis.call('HMGET', key('s', sid), 'st', 'm')
if not f[1] then return {'internal'} end
if f[1] == 'waiting' then
  unqueue(sid)
  redis.call('HSET', key('s', sid), 'st', 'idle')
end
if f[2] then endMatch(f[2], sid, 'left') end
return {'ok', {'idle'}, E}`),

  // The pairing rule runs in TypeScript on this bounded window; tcClaim re-checks and claims.
  tcCandidates: script(`
local sid, LIMIT = ARGV[6], tonumber(ARGV[7])
local me = redis.call('HMGET', key('s', sid), 'st', 'i', 'it', 'j', 'av')
if me[1] ~= 'waiting' then return {'gone'} end
local seen, list = {}, {}
local function consider(zkey, c)
  if seen[c] or c == sid then return end
  seen[c] = true
  local f = redis.call('HMGET', key('s', c), 'st', 'i', 'it', 'j', 'av', 'n', 'o')
  if f[1] ~= 'waiting' then redis.call('ZREM', zkey, c) return end
  if not alive(f[6]) then return end
  local blocked = '0'
  if redis.call('SISMEMBER', key('blk', me[2]), f[2]) == 1 or redis.call('SISMEMBER', key('blk', f[2]), me[2]) == 1 then blocked = '1' end
  list[#list + 1] = {c, f[2], f[3] or '[]', f[4], f[5] or '', blocked, f[7]}
end
for _, c in ipairs(redis.call('ZRANGE', key('qo'), 0, LIMIT - 1)) do consider(key('qo'), c) end
for _, tag in ipairs(cjson.decode(me[3] or '[]')) do
  for _, c in ipairs(redis.call('ZRANGE', key('qi', tag), 0, LIMIT - 1)) do consider(key('qi', tag), c) end
end
return {'ok', {me[2], me[3] or '[]', me[4], me[5] or ''}, list}`),

  tcClaim: script(`
local a, b, mid, common = ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local fa = redis.call('HMGET', key('s', a), 'st', 'i', 'j', 'av', 'n')
local fb = redis.call('HMGET', key('s', b), 'st', 'i', 'j', 'av', 'n')
-- Lost a race (another node claimed first): whoever still waits is tried again by a tick soon,
-- so two people who each lost a race never both wait for good.
local function retry()
  if fa[1] == 'waiting' then redis.call('ZADD', key('open'), NOW + 100, a) end
  if fb[1] == 'waiting' then redis.call('ZADD', key('open'), NOW + 100, b) end
  return {'retry'}
end
if fa[1] ~= 'waiting' or fb[1] ~= 'waiting' then return retry() end
if not alive(fa[5]) or not alive(fb[5]) then return retry() end
if fa[2] == fb[2] then return retry() end
if redis.call('EXISTS', key('ban', fa[2]), key('ban', fb[2])) > 0 then return retry() end
if redis.call('SISMEMBER', key('blk', fa[2]), fb[2]) == 1 or redis.call('SISMEMBER', key('blk', fb[2]), fa[2]) == 1 then return retry() end
if fa[4] == fb[2] or fb[4] == fa[2] then
  if NOW - tonumber(fa[3]) < WAIT or NOW - tonumber(fb[3]) < WAIT then return retry() end
end
unqueue(a)
unqueue(b)
redis.call('HSET', key('m', mid), 'o', a, 'a', b, 'oi', fa[2], 'ai', fb[2], 's', NOW, 'c', common)
redis.call('HSET', key('s', a), 'st', 'matched', 'm', mid, 'r', 'o')
redis.call('HSET', key('s', b), 'st', 'matched', 'm', mid, 'r', 'a')
redis.call('HDEL', key('s', a), 'av', 'j', 'o')
redis.call('HDEL', key('s', b), 'av', 'j', 'o')
redis.call('INCRBY', key('calls'), 2)
fx('found', a, mid, 'offerer', fa[2], fb[2], NOW, common)
fx('found', b, mid, 'answerer', fb[2], fa[2], NOW, common)
return {'ok', {}, E}`),

  tcRelay: script(`
local sid, mid, payload, max = ARGV[6], ARGV[7], ARGV[8], tonumber(ARGV[9])
local f = redis.call('HMGET', key('s', sid), 'st', 'm')
if not f[1] then return {'internal'} end
if not f[2] then return {'not_in_match'} end
if f[2] ~= mid then return {'stale_match'} end
local p = partnerOf(mid, sid)
if sget(p, 'st') ~= 'away' then
  fx('signal', p, payload)
  return {'ok', {}, E}
end
if redis.call('LLEN', key('held', p)) >= max then return {'partner_away'} end
redis.call('RPUSH', key('held', p), payload)
return {'ok', {}, E}`),

  tcResume: script(`
local sid, mid, role, inst, pinst, started, common, placeholder = ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13]
local s = redis.call('HMGET', key('s', sid), 'st', 'm', 'i')
if not s[1] then return {'internal'} end
if s[3] ~= inst then return {'invalid_token'} end
if s[2] == mid then return {'ok', seatView(sid), E} end
if s[1] ~= 'idle' then return {'not_idle'} end
if redis.call('EXISTS', key('ban', inst)) == 1 then
  banInstall(inst)
  if redis.call('EXISTS', key('m', mid)) == 1 then endMatch(mid, nil, 'ended')
  elseif redis.call('EXISTS', key('tomb', mid)) == 0 then redis.call('SET', key('tomb', mid), 'ended', 'PX', TOMB) end
  return {'ok', {'idle'}, E}
end
local reason = redis.call('GET', key('tomb', mid))
if reason then
  fx('ended', sid, mid, reason)
  return {'ok', {'idle'}, E}
end
if redis.call('EXISTS', key('m', mid)) == 0 then
  -- Redis lost this call (it restarted empty): adopt it from the token; the stranger is away until they resume too.
  local other = 'a'
  if role == 'a' then other = 'o' end
  local oi, ai = inst, pinst
  if role == 'a' then oi, ai = pinst, inst end
  redis.call('HSET', key('m', mid), role, sid, other, placeholder, 'oi', oi, 'ai', ai, 's', started, 'c', common)
  redis.call('HSET', key('s', sid), 'st', 'matched', 'm', mid, 'r', role)
  redis.call('HSET', key('s', placeholder), 'i', pinst, 'st', 'matched', 'm', mid, 'r', other)
  redis.call('SADD', key('in', pinst), placeholder)
  redis.call('INCRBY', key('calls'), 2)
  goAway(placeholder, false)
  return {'ok', seatView(sid), E}
end
local seat = redis.call('HGET', key('m', mid), role)
if not seat or sget(seat, 'i') ~= inst then return {'invalid_token'} end
local held = takeSeat(seat, sid)
return {'ok', seatView(sid), E, held}`),

  tcReportTarget: script(`
local sid, mid = ARGV[6], ARGV[7]
local f = redis.call('HMGET', key('s', sid), 'i', 'm', 'r')
if not f[1] then return {'internal'} end
if f[2] ~= mid then return {'stale_match'} end
local m = redis.call('HMGET', key('m', mid), 'oi', 'ai')
local other = m[1]
if f[3] == 'o' then other = m[2] end
return {'ok', {f[1], other}, E}`),

  tcEndByReport: script(`
local mid, reporter = ARGV[6], ARGV[7]
local m = redis.call('HMGET', key('m', mid), 'o', 'a', 'oi')
if not m[1] then return {'ok', {}, E} end
local by = m[2]
if m[3] == reporter then by = m[1] end
endMatch(mid, by, 'ended')
return {'ok', {}, E}`),

  tcBan: script(`
local inst, untilMs = ARGV[6], tonumber(ARGV[7])
if untilMs > NOW then redis.call('SET', key('ban', inst), untilMs, 'PX', untilMs - NOW) end
banInstall(inst)
return {'ok', {}, E}`),

  tcBlock: script(`
local ttl = tonumber(ARGV[6])
local inst = ARGV[7]
for i = 8, #ARGV do
  redis.call('SADD', key('blk', inst), ARGV[i])
  redis.call('SADD', key('blk', ARGV[i]), inst)
  redis.call('PEXPIRE', key('blk', ARGV[i]), ttl)
end
redis.call('PEXPIRE', key('blk', inst), ttl)
return {'ok', {}, E}`),

  tcAdmitAddress: script(`
local h, cap = key('conn', ARGV[6]), tonumber(ARGV[7])
local total = 0
local counts = redis.call('HGETALL', h)
for i = 1, #counts, 2 do
  if alive(counts[i]) then total = total + tonumber(counts[i + 1]) else redis.call('HDEL', h, counts[i]) end
end
if total >= cap then return {'ok', {'0'}, E} end
redis.call('HINCRBY', h, NODE, 1)
redis.call('PEXPIRE', h, 86400000)
return {'ok', {'1'}, E}`),

  tcReleaseAddress: script(`
local h = key('conn', ARGV[6])
if redis.call('HINCRBY', h, NODE, -1) <= 0 then redis.call('HDEL', h, NODE) end
return {'ok', {}, E}`),

  // Housekeeping any node may run; each piece of work is claimed atomically, so it is done once.
  tcTick: script(`
local LIMIT = tonumber(ARGV[6])
-- Away seats whose grace ran out.
for _, sid in ipairs(redis.call('ZRANGEBYSCORE', key('grace'), '-inf', NOW, 'LIMIT', 0, LIMIT)) do
  redis.call('ZREM', key('grace'), sid)
  local mid = sget(sid, 'm')
  if mid and sget(sid, 'st') == 'away' then endMatch(mid, sid, 'disconnected') else forget(sid) end
end
-- Nodes whose heartbeat lapsed: their people drop as if their connections had.
for _, node in ipairs(redis.call('SMEMBERS', key('N'))) do
  if not alive(node) then
    for _, sid in ipairs(redis.call('SPOP', key('ns', node), LIMIT)) do drop(sid) end
    if redis.call('SCARD', key('ns', node)) == 0 then
      redis.call('DEL', key('nw', node))
      redis.call('SREM', key('N'), node)
    end
  end
end
-- People whose interest wait ran out: the caller retries pairing them, once each.
local due = redis.call('ZRANGEBYSCORE', key('open'), '-inf', NOW, 'LIMIT', 0, LIMIT)
for _, sid in ipairs(due) do
  redis.call('ZREM', key('open'), sid)
  local f = redis.call('HMGET', key('s', sid), 'st', 'o')
  if f[1] == 'waiting' then redis.call('ZADD', key('qo'), f[2], sid) end
end
return {'ok', due, E}`),
} as const;

export type ScriptName = keyof typeof SCRIPTS;
