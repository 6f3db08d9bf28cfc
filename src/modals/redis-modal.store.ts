import type Redis from 'ioredis';
import type { ModalState, Viewer } from '../contracts';
import { defineScript, type LuaScript } from '../redis/lua-script';
import {
  MAX_REQUESTS_PER_LOCK,
  type LockChange,
  type ModalCap,
  type ModalCaps,
  type ModalStore,
  type OpenResult,
  type Released,
  type ReleaseResult,
  type Requester,
  type RequestResult,
  type SessionWatches,
  type UserModalCounts,
} from './modal.store';

/*
 * Keys (all under `<prefix>:modal`):
 *   v:<modalId>   HASH sessionId → viewer JSON          o:<modalId>  ZSET sessionId by opening order
 *   s:<sessionId> ZSET modalId by opening order          all          ZSET modalId by first opening
 *   lex           ZSET modalId, score 0 (prefix ranges)  l:<modalId>  lock JSON { holder, token, requests }
 *   u:<userId>    SET "<sessionId>|<modalId>" of every viewer of the user (the per-user cap)
 *   x:<userId>    SET "<sessionId>|<modalId>" of the user's exclusive viewers (the exclusive cap)
 *   w:<sessionId> SET "i:<modalId>" / "p:<prefix>" the session watches (restored on resume)
 *   detached      HASH sessionId → token                 seq          counter for orders and tokens
 *   fence         counter of fencing tokens: INCR only, so a token never goes back on any instance
 * The rules and caps of `open` run in one script per call, so two users racing for an exclusive
 * modal on two instances cannot both win, and concurrent opens cannot pass a cap. Session ids are
 * UUIDs (no "|"), so a member names exactly one viewer. Scripts build the keys of other modals,
 * sessions and users from the prefix (one Redis node, not Redis Cluster).
 */

/** Watches are kept this long after the last change when no release ever comes (a crash without a reaper). */
const WATCH_TTL_SECONDS = 7 * 24 * 3600;

// Shared by every script that changes viewers. `base` is the key prefix.
//   relock: the holder stays while it is an exclusive viewer, else the earliest exclusive viewer
//   takes the lock with a new token; returns false (no change) or { token, holderRaw or '' }.
//   remove: drops one viewer and its index entries, the modal when empty, and the session's
//   detach mark when it has neither modals nor watches left.
const FNS = `
local function relock(base, modalId)
  local lkey = base .. ':l:' .. modalId
  local vkey = base .. ':v:' .. modalId
  local raw = redis.call('GET', lkey)
  local lock = raw and cjson.decode(raw)
  if lock then
    local h = redis.call('HGET', vkey, lock.holder)
    if h and cjson.decode(h).exclusive then return false end
  end
  for _, sid in ipairs(redis.call('ZRANGE', base .. ':o:' .. modalId, 0, -1)) do
    local v = redis.call('HGET', vkey, sid)
    if v and cjson.decode(v).exclusive then
      local token = tostring(redis.call('INCR', base .. ':fence'))
      redis.call('SET', lkey, cjson.encode({ holder = sid, token = token, requests = {} }))
      return { token, v }
    end
  end
  if lock then
    redis.call('DEL', lkey)
    return { lock.token, '' }
  end
  return false
end
local function put(base, modalId, sessionId, raw, isNew)
  local v = cjson.decode(raw)
  local member = sessionId .. '|' .. modalId
  redis.call('HSET', base .. ':v:' .. modalId, sessionId, raw)
  if isNew then
    local seq = redis.call('INCR', base .. ':seq')
    redis.call('ZADD', base .. ':o:' .. modalId, seq, sessionId)
    redis.call('ZADD', base .. ':s:' .. sessionId, seq, modalId)
    redis.call('ZADD', base .. ':all', 'NX', seq, modalId)
    redis.call('ZADD', base .. ':lex', 0, modalId)
    redis.call('SADD', base .. ':u:' .. v.userId, member)
  end
  if v.exclusive then redis.call('SADD', base .. ':x:' .. v.userId, member) else redis.call('SREM', base .. ':x:' .. v.userId, member) end
end
local function remove(base, modalId, sessionId)
  local vkey = base .. ':v:' .. modalId
  local okey = base .. ':o:' .. modalId
  local skey = base .. ':s:' .. sessionId
  local raw = redis.call('HGET', vkey, sessionId)
  if not raw then return false end
  local userId = cjson.decode(raw).userId
  local member = sessionId .. '|' .. modalId
  redis.call('SREM', base .. ':u:' .. userId, member)
  redis.call('SREM', base .. ':x:' .. userId, member)
  redis.call('HDEL', vkey, sessionId)
  redis.call('ZREM', okey, sessionId)
  if redis.call('ZCARD', okey) == 0 then
    redis.call('ZREM', base .. ':all', modalId)
    redis.call('ZREM', base .. ':lex', modalId)
  end
  redis.call('ZREM', skey, modalId)
  if redis.call('ZCARD', skey) == 0 and redis.call('EXISTS', base .. ':w:' .. sessionId) == 0 then
    redis.call('HDEL', base .. ':detached', sessionId)
  end
  return raw
end
-- A user's set is only re-checked against the viewers when it is at the cap (so at most cap +
-- stale members, only for a refused open): members left behind by anything that removed a viewer
-- without them (an older version during a rolling deploy) cannot hold a user at the cap for good.
local function count(base, set, cap, exclusiveOnly)
  local n = redis.call('SCARD', set)
  if n < cap then return n end
  for _, m in ipairs(redis.call('SMEMBERS', set)) do
    local sep = string.find(m, '|', 1, true)
    local raw = redis.call('HGET', base .. ':v:' .. string.sub(m, sep + 1), string.sub(m, 1, sep - 1))
    if not raw or (exclusiveOnly and not cjson.decode(raw).exclusive) then redis.call('SREM', set, m) end
  end
  return redis.call('SCARD', set)
end
local function lockReply(change)
  if not change then return '', '' end
  return change[1], change[2]
end
`;

// ARGV: base, modalId, sessionId, userId, exclusive (1/0), viewer JSON, per-session cap, per-user cap, exclusive cap.
const OPEN = `${FNS}
local base, modalId, sessionId, userId = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local exclusive = ARGV[5] == '1'
local vkey = base .. ':v:' .. modalId
local order = redis.call('ZRANGE', base .. ':o:' .. modalId, 0, -1)
local viewers = {}
if #order > 0 then viewers = redis.call('HMGET', vkey, unpack(order)) end
local others = {}
for _, raw in ipairs(viewers) do
  if raw then
    local v = cjson.decode(raw)
    if v.userId ~= userId then others[#others + 1] = raw end
    if v.userId ~= userId and v.exclusive then return { 'conflict', raw } end
  end
end
if exclusive and #others > 0 then return { 'conflict', others[1] } end
local ukey, xkey = base .. ':u:' .. userId, base .. ':x:' .. userId
local existing = redis.call('HGET', vkey, sessionId)
local stored = ARGV[6]
if existing then
  local v = cjson.decode(existing)
  if v.exclusive == exclusive then return { 'unchanged' } end
  if exclusive and count(base, xkey, tonumber(ARGV[9]), true) >= tonumber(ARGV[9]) then return { 'limit', 'exclusive', ARGV[9] } end
  -- Same viewer with a changed flag: keeps its openedAt and position.
  v.exclusive = exclusive
  stored = cjson.encode(v)
else
  if redis.call('ZCARD', base .. ':s:' .. sessionId) >= tonumber(ARGV[7]) then return { 'limit', 'session', ARGV[7] } end
  if count(base, ukey, tonumber(ARGV[8]), false) >= tonumber(ARGV[8]) then return { 'limit', 'user', ARGV[8] } end
  if exclusive and count(base, xkey, tonumber(ARGV[9]), true) >= tonumber(ARGV[9]) then return { 'limit', 'exclusive', ARGV[9] } end
end
put(base, modalId, sessionId, stored, not existing)
local token, holder = lockReply(relock(base, modalId))
return { 'opened', stored, token, holder }`;

// ARGV: base, modalId, sessionId.
const CLOSE = `${FNS}
local raw = remove(ARGV[1], ARGV[2], ARGV[3])
if not raw then return false end
local token, holder = lockReply(relock(ARGV[1], ARGV[2]))
return { raw, token, holder }`;

// ARGV: base, modalId, requester JSON, max requests.
const REQUEST = `${FNS}
local base, modalId = ARGV[1], ARGV[2]
local requester = cjson.decode(ARGV[3])
local lkey = base .. ':l:' .. modalId
local raw = redis.call('GET', lkey)
if not raw then return { 'not-held' } end
local lock = cjson.decode(raw)
local holder = redis.call('HGET', base .. ':v:' .. modalId, lock.holder)
if not holder or cjson.decode(holder).userId == requester.userId then return { 'not-held' } end
local requests = {}
for _, r in ipairs(lock.requests) do
  if r.userId ~= requester.userId then requests[#requests + 1] = r end
end
requests[#requests + 1] = requester
if #requests > tonumber(ARGV[4]) then table.remove(requests, 1) end
lock.requests = requests
redis.call('SET', lkey, cjson.encode(lock))
return { 'requested', holder, lock.token }`;

// ARGV: base, modalId, releasing sessionId, to ('' for nobody), per-session cap, per-user cap, exclusive cap, openedAt.
const RELEASE = `${FNS}
local base, modalId, sessionId, to = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local lkey, vkey = base .. ':l:' .. modalId, base .. ':v:' .. modalId
local raw = redis.call('GET', lkey)
local lock = raw and cjson.decode(raw)
local holderRaw = lock and redis.call('HGET', vkey, sessionId)
if not lock or lock.holder ~= sessionId or not holderRaw then return { 'not-holder' } end
local holderUser = cjson.decode(holderRaw).userId
local requester
if to ~= '' then
  for _, r in ipairs(lock.requests) do
    if r.userId == to then requester = r end
  end
  if not requester then return { 'no-request' } end
end
local existing = requester and redis.call('HGET', vkey, requester.sessionId)
if requester then
  if not existing and redis.call('ZCARD', base .. ':s:' .. requester.sessionId) >= tonumber(ARGV[5]) then return { 'limit', 'session', ARGV[5] } end
  if not existing and count(base, base .. ':u:' .. to, tonumber(ARGV[6]), false) >= tonumber(ARGV[6]) then return { 'limit', 'user', ARGV[6] } end
  if count(base, base .. ':x:' .. to, tonumber(ARGV[7]), true) >= tonumber(ARGV[7]) then return { 'limit', 'exclusive', ARGV[7] } end
end
local out = { 'released', '', '' }
for _, sid in ipairs(redis.call('ZRANGE', base .. ':o:' .. modalId, 0, -1)) do
  local vr = redis.call('HGET', vkey, sid)
  local v = vr and cjson.decode(vr)
  if v and v.userId == holderUser and v.exclusive then
    v.exclusive = false
    local stored = cjson.encode(v)
    put(base, modalId, sid, stored, false)
    out[#out + 1] = stored
  end
end
if not requester then
  redis.call('DEL', lkey)
  out[2] = lock.token
  return out
end
local taken
if existing then
  local v = cjson.decode(existing)
  v.exclusive = true
  taken = cjson.encode(v)
else
  taken = cjson.encode({ userId = requester.userId, username = requester.username, sessionId = requester.sessionId, exclusive = true, openedAt = ARGV[8] })
end
put(base, modalId, requester.sessionId, taken, not existing)
local token = tostring(redis.call('INCR', base .. ':fence'))
redis.call('SET', lkey, cjson.encode({ holder = requester.sessionId, token = token, requests = {} }))
out[2], out[3] = token, taken
out[#out + 1] = taken
return out`;

// ARGV: base, sessionId, token.
const RELEASE_DETACHED = `${FNS}
local base, sessionId = ARGV[1], ARGV[2]
if redis.call('HGET', base .. ':detached', sessionId) ~= ARGV[3] then return {} end
redis.call('HDEL', base .. ':detached', sessionId)
redis.call('DEL', base .. ':w:' .. sessionId)
local skey = base .. ':s:' .. sessionId
local out = {}
for _, modalId in ipairs(redis.call('ZRANGE', skey, 0, -1)) do
  local raw = remove(base, modalId, sessionId)
  if raw then
    local token, holder = lockReply(relock(base, modalId))
    out[#out + 1] = modalId
    out[#out + 1] = raw
    out[#out + 1] = token
    out[#out + 1] = holder
  end
end
redis.call('DEL', skey)
return out`;

// ARGV: base, sessionId.
const DETACH = `
local base, sessionId = ARGV[1], ARGV[2]
if redis.call('EXISTS', base .. ':s:' .. sessionId) == 0 and redis.call('EXISTS', base .. ':w:' .. sessionId) == 0 then return false end
local token = tostring(redis.call('INCR', base .. ':seq'))
redis.call('HSET', base .. ':detached', sessionId, token)
return token`;

const SCRIPTS = { open: OPEN, close: CLOSE, request: REQUEST, release: RELEASE, releaseDetached: RELEASE_DETACHED, detach: DETACH };
type ModalScript = keyof typeof SCRIPTS;

/** Modal viewers, locks and watches shared by every instance (REDIS_URL). */
export class RedisModalStore implements ModalStore {
  private readonly base: string;
  private readonly scripts = {} as Record<ModalScript, LuaScript<unknown>>;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.base = `${prefix}:modal`;
    for (const [name, lua] of Object.entries(SCRIPTS)) this.scripts[name as ModalScript] = defineScript(redis, `modal_${name}`, 0, lua);
  }

  private run(script: ModalScript, ...args: (string | number)[]): Promise<unknown> {
    return this.scripts[script](this.base, ...args.map(String));
  }

  async open(modalId: string, viewer: Viewer, caps: ModalCaps): Promise<OpenResult> {
    const args = [modalId, viewer.sessionId, viewer.userId, viewer.exclusive ? '1' : '0', JSON.stringify(viewer)];
    const reply = (await this.run('open', ...args, caps.perSession, caps.perUser, caps.exclusivePerUser)) as string[];
    const [outcome, raw, third, holder] = reply;
    if (outcome === 'conflict') return { outcome, holder: parseViewer(raw) };
    if (outcome === 'limit') return { outcome, cap: raw as ModalCap, limit: Number(third) };
    const state = (await this.list(modalId))[0] ?? { modalId, viewers: [] };
    if (outcome === 'unchanged') return { outcome, state };
    const lock = lockChange(third, holder);
    return { outcome: 'opened', state, viewer: parseViewer(raw), ...(lock && { lock }) };
  }

  async close(modalId: string, sessionId: string): Promise<Released | undefined> {
    const reply = (await this.run('close', modalId, sessionId)) as [string, string, string] | null;
    if (!reply) return undefined;
    const lock = lockChange(reply[1], reply[2]);
    return { modalId, viewer: parseViewer(reply[0]), ...(lock && { lock }) };
  }

  async request(modalId: string, requester: Requester): Promise<RequestResult> {
    const reply = (await this.run('request', modalId, JSON.stringify(requester), MAX_REQUESTS_PER_LOCK)) as string[];
    if (reply[0] !== 'requested') return { outcome: 'not-held' };
    return { outcome: 'requested', holder: parseViewer(reply[1]), fencingToken: Number(reply[2]) };
  }

  async release(modalId: string, sessionId: string, to: string | undefined, caps: ModalCaps, openedAt: string): Promise<ReleaseResult> {
    const reply = (await this.run(
      'release',
      modalId,
      sessionId,
      to ?? '',
      caps.perSession,
      caps.perUser,
      caps.exclusivePerUser,
      openedAt,
    )) as string[];
    const [outcome, token, holder, ...changed] = reply;
    if (outcome === 'limit') return { outcome, cap: token as ModalCap, limit: Number(holder) };
    if (outcome !== 'released') return { outcome: outcome as 'not-holder' | 'no-request' };
    return { outcome, changed: changed.map(parseViewer), lock: lockChange(token, holder)! };
  }

  async detach(sessionId: string): Promise<string | undefined> {
    const token = (await this.run('detach', sessionId)) as string | null;
    return token ?? undefined;
  }

  async attach(sessionId: string): Promise<void> {
    await this.redis.hdel(`${this.base}:detached`, sessionId);
  }

  async releaseDetached(sessionId: string, token: string): Promise<Released[]> {
    const flat = (await this.run('releaseDetached', sessionId, token)) as string[];
    const released: Released[] = [];
    for (let i = 0; i < flat.length; i += 4) {
      const lock = lockChange(flat[i + 2], flat[i + 3]);
      released.push({ modalId: flat[i], viewer: parseViewer(flat[i + 1]), ...(lock && { lock }) });
    }
    return released;
  }

  async list(modalId?: string, limit = Infinity): Promise<ModalState[]> {
    if (modalId !== undefined) return this.listMany([modalId]);
    return this.listMany(await this.redis.zrange(`${this.base}:all`, 0, Number.isFinite(limit) ? limit - 1 : -1));
  }

  async listMany(modalIds: readonly string[]): Promise<ModalState[]> {
    if (modalIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of modalIds) {
      pipeline.zrange(`${this.base}:o:${id}`, 0, -1);
      pipeline.hgetall(`${this.base}:v:${id}`);
      pipeline.get(`${this.base}:l:${id}`);
    }
    const replies = (await pipeline.exec()) ?? [];
    const states: ModalState[] = [];
    modalIds.forEach((id, i) => {
      const [[orderError, order], [viewersError, viewers], [lockError, lockRaw]] = replies.slice(3 * i, 3 * i + 3);
      const failed = orderError ?? viewersError ?? lockError;
      if (failed) throw failed;
      const byId = viewers as Record<string, string>;
      const list = (order as string[]).filter((sid) => byId[sid]).map((sid) => parseViewer(byId[sid]));
      if (list.length === 0) return;
      const state: ModalState = { modalId: id, viewers: list };
      const lock = lockRaw ? (JSON.parse(lockRaw as string) as { holder: string; token: string }) : undefined;
      const holder = lock && list.find((v) => v.sessionId === lock.holder);
      if (lock && holder) state.lock = { holder, fencingToken: Number(lock.token) };
      states.push(state);
    });
    return states;
  }

  async listByPrefix(prefix: string, limit: number): Promise<{ modals: ModalState[]; hasMore: boolean }> {
    // One more than asked tells whether more match; "\xff" sorts after every UTF-8 byte a client id has.
    const ids = await this.redis.zrangebylex(`${this.base}:lex`, `[${prefix}`, `[${prefix}\xff`, 'LIMIT', 0, limit + 1);
    const matching = ids.filter((id) => id.startsWith(prefix));
    return { modals: await this.listMany(matching.slice(0, limit)), hasMore: matching.length > limit };
  }

  async listByUser(userId: string): Promise<ModalState[]> {
    const members = await this.redis.smembers(`${this.base}:u:${userId}`);
    return this.listMany([...new Set(members.map((m) => m.slice(m.indexOf('|') + 1)))]);
  }

  countBySession(sessionId: string): Promise<number> {
    return this.redis.zcard(`${this.base}:s:${sessionId}`);
  }

  async countByUser(userId: string): Promise<UserModalCounts> {
    const [open, exclusive] = await Promise.all([
      this.redis.scard(`${this.base}:u:${userId}`),
      this.redis.scard(`${this.base}:x:${userId}`),
    ]);
    return { open, exclusive };
  }

  async watch(sessionId: string, watches: SessionWatches): Promise<void> {
    const members = watchMembers(watches);
    if (members.length === 0) return;
    const key = `${this.base}:w:${sessionId}`;
    await this.redis
      .multi()
      .sadd(key, ...members)
      .expire(key, WATCH_TTL_SECONDS)
      .exec();
  }

  async unwatch(sessionId: string, watches: SessionWatches): Promise<void> {
    const members = watchMembers(watches);
    if (members.length) await this.redis.srem(`${this.base}:w:${sessionId}`, ...members);
  }

  async watches(sessionId: string): Promise<SessionWatches> {
    const members = await this.redis.smembers(`${this.base}:w:${sessionId}`);
    const result: SessionWatches = { modalIds: [], prefixes: [] };
    for (const m of members) (m.startsWith('i:') ? result.modalIds : result.prefixes).push(m.slice(2));
    return result;
  }
}

function watchMembers({ modalIds, prefixes }: SessionWatches): string[] {
  return modalIds.map((id) => `i:${id}`).concat(prefixes.map((p) => `p:${p}`));
}

function lockChange(token: string | undefined, holder: string | undefined): LockChange | undefined {
  if (!token) return undefined;
  return holder ? { holder: parseViewer(holder), fencingToken: Number(token) } : { fencingToken: Number(token) };
}

/** Viewer fields in the contract's order, whatever order the script's JSON encoder used. */
function parseViewer(raw: string): Viewer {
  const v = JSON.parse(raw) as Viewer;
  return { userId: v.userId, username: v.username, sessionId: v.sessionId, exclusive: v.exclusive, openedAt: v.openedAt };
}
