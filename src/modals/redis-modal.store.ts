import type Redis from 'ioredis';
import type { ModalState, Viewer } from '../contracts';
import type { ModalCap, ModalCaps, ModalStore, OpenResult, Released, UserModalCounts } from './modal.store';

/*
 * Keys (all under `<prefix>:modal`):
 *   v:<modalId>   HASH sessionId → viewer JSON          o:<modalId>  ZSET sessionId by opening order
 *   s:<sessionId> ZSET modalId by opening order          all          ZSET modalId by first opening
 *   u:<userId>    SET "<sessionId>|<modalId>" of every viewer of the user (the per-user cap)
 *   x:<userId>    SET "<sessionId>|<modalId>" of the user's exclusive viewers (the exclusive cap)
 *   detached      HASH sessionId → token                 seq          counter for orders and tokens
 * The rules and caps of `open` run in one script per call, so two users racing for an exclusive
 * modal on two instances cannot both win, and concurrent opens cannot pass a cap. Session ids are
 * UUIDs (no "|"), so a member names exactly one viewer.
 */

// KEYS: v:<modal>, o:<modal>, s:<session>, all, seq, u:<user>, x:<user>.
// ARGV: modalId, sessionId, userId, exclusive (1/0), viewer JSON, per-session cap, per-user cap, exclusive cap, key prefix.
// A user's set is only re-checked against the viewers when it is at the cap (so at most cap +
// stale members, only for a refused open): members left behind by anything that removed a viewer
// without them (an older version during a rolling deploy) cannot hold a user at the cap for good.
const OPEN = `
local function count(set, cap, exclusiveOnly)
  local n = redis.call('SCARD', set)
  if n < cap then return n end
  for _, m in ipairs(redis.call('SMEMBERS', set)) do
    local sep = string.find(m, '|', 1, true)
    local raw = redis.call('HGET', ARGV[9] .. ':v:' .. string.sub(m, sep + 1), string.sub(m, 1, sep - 1))
    if not raw or (exclusiveOnly and not cjson.decode(raw).exclusive) then redis.call('SREM', set, m) end
  end
  return redis.call('SCARD', set)
end
local order = redis.call('ZRANGE', KEYS[2], 0, -1)
local viewers = {}
if #order > 0 then viewers = redis.call('HMGET', KEYS[1], unpack(order)) end
local others = {}
for _, raw in ipairs(viewers) do
  if raw then
    local v = cjson.decode(raw)
    if v.userId ~= ARGV[3] then others[#others + 1] = raw end
    if v.userId ~= ARGV[3] and v.exclusive then return { 'conflict', raw } end
  end
end
if ARGV[4] == '1' and #others > 0 then return { 'conflict', others[1] } end
local member = ARGV[2] .. '|' .. ARGV[1]
local existing = redis.call('HGET', KEYS[1], ARGV[2])
local exclusive = ARGV[4] == '1'
if existing then
  local v = cjson.decode(existing)
  if v.exclusive == exclusive then return { 'unchanged' } end
  if exclusive and count(KEYS[7], tonumber(ARGV[8]), true) >= tonumber(ARGV[8]) then return { 'limit', 'exclusive', ARGV[8] } end
  -- Same viewer with a changed flag: keeps its openedAt and position.
  v.exclusive = exclusive
  local stored = cjson.encode(v)
  redis.call('HSET', KEYS[1], ARGV[2], stored)
  if exclusive then redis.call('SADD', KEYS[7], member) else redis.call('SREM', KEYS[7], member) end
  return { 'opened', stored }
end
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[6]) then return { 'limit', 'session', ARGV[6] } end
if count(KEYS[6], tonumber(ARGV[7]), false) >= tonumber(ARGV[7]) then return { 'limit', 'user', ARGV[7] } end
if exclusive and count(KEYS[7], tonumber(ARGV[8]), true) >= tonumber(ARGV[8]) then return { 'limit', 'exclusive', ARGV[8] } end
local seq = redis.call('INCR', KEYS[5])
redis.call('HSET', KEYS[1], ARGV[2], ARGV[5])
redis.call('ZADD', KEYS[2], seq, ARGV[2])
redis.call('ZADD', KEYS[3], seq, ARGV[1])
redis.call('ZADD', KEYS[4], 'NX', seq, ARGV[1])
redis.call('SADD', KEYS[6], member)
if exclusive then redis.call('SADD', KEYS[7], member) end
return { 'opened', ARGV[5] }`;

// Removes one viewer and its entries in the user's indexes; drops the modal when empty and the
// session's detach mark when it has no modals left. The user's keys come from the viewer itself.
// KEYS: v:<modal>, o:<modal>, s:<session>, all, detached. base: the key prefix.
const REMOVE_FN = `
local function remove(vkey, okey, skey, modalId, sessionId, base)
  local raw = redis.call('HGET', vkey, sessionId)
  if not raw then return false end
  local userId = cjson.decode(raw).userId
  local member = sessionId .. '|' .. modalId
  redis.call('SREM', base .. ':u:' .. userId, member)
  redis.call('SREM', base .. ':x:' .. userId, member)
  redis.call('HDEL', vkey, sessionId)
  redis.call('ZREM', okey, sessionId)
  if redis.call('ZCARD', okey) == 0 then redis.call('ZREM', KEYS[4], modalId) end
  redis.call('ZREM', skey, modalId)
  if redis.call('ZCARD', skey) == 0 then redis.call('HDEL', KEYS[5], sessionId) end
  return raw
end
`;

// ARGV: modalId, sessionId, key prefix.
const CLOSE = `${REMOVE_FN}
return remove(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3])`;

// KEYS: (unused), (unused), s:<session>, all, detached, seq. ARGV: sessionId, token, key prefix.
const RELEASE = `${REMOVE_FN}
if redis.call('HGET', KEYS[5], ARGV[1]) ~= ARGV[2] then return {} end
redis.call('HDEL', KEYS[5], ARGV[1])
local out = {}
for _, modalId in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  local raw = remove(ARGV[3] .. ':v:' .. modalId, ARGV[3] .. ':o:' .. modalId, KEYS[3], modalId, ARGV[1], ARGV[3])
  if raw then
    out[#out + 1] = modalId
    out[#out + 1] = raw
  end
end
redis.call('DEL', KEYS[3])
return out`;

// KEYS: s:<session>, detached, seq. ARGV: sessionId.
const DETACH = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local token = tostring(redis.call('INCR', KEYS[3]))
redis.call('HSET', KEYS[2], ARGV[1], token)
return token`;

/** Modal viewers shared by every instance (REDIS_URL). */
export class RedisModalStore implements ModalStore {
  private readonly base: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.base = `${prefix}:modal`;
  }

  private viewersKey = (modalId: string) => `${this.base}:v:${modalId}`;
  private orderKey = (modalId: string) => `${this.base}:o:${modalId}`;
  private sessionKey = (sessionId: string) => `${this.base}:s:${sessionId}`;
  private userKey = (userId: string) => `${this.base}:u:${userId}`;
  private exclusiveKey = (userId: string) => `${this.base}:x:${userId}`;
  private get allKey() {
    return `${this.base}:all`;
  }
  private get detachedKey() {
    return `${this.base}:detached`;
  }
  private get seqKey() {
    return `${this.base}:seq`;
  }

  async open(modalId: string, viewer: Viewer, caps: ModalCaps): Promise<OpenResult> {
    const keys = [
      this.viewersKey(modalId),
      this.orderKey(modalId),
      this.sessionKey(viewer.sessionId),
      this.allKey,
      this.seqKey,
      this.userKey(viewer.userId),
      this.exclusiveKey(viewer.userId),
    ];
    const args = [modalId, viewer.sessionId, viewer.userId, viewer.exclusive ? '1' : '0', JSON.stringify(viewer)];
    const capArgs = [caps.perSession, caps.perUser, caps.exclusivePerUser].map(String).concat(this.base);
    const [outcome, raw, limit] = (await this.redis.eval(OPEN, keys.length, ...keys, ...args, ...capArgs)) as [string, string?, string?];
    if (outcome === 'conflict') return { outcome, holder: parseViewer(raw!) };
    if (outcome === 'limit') return { outcome, cap: raw as ModalCap, limit: Number(limit) };
    const state = (await this.list(modalId))[0] ?? { modalId, viewers: [] };
    if (outcome === 'unchanged') return { outcome, state };
    return { outcome: 'opened', state, viewer: parseViewer(raw!) };
  }

  async close(modalId: string, sessionId: string): Promise<Released | undefined> {
    const keys = [this.viewersKey(modalId), this.orderKey(modalId), this.sessionKey(sessionId), this.allKey, this.detachedKey];
    const raw = (await this.redis.eval(CLOSE, keys.length, ...keys, modalId, sessionId, this.base)) as string | null;
    return raw ? { modalId, viewer: parseViewer(raw) } : undefined;
  }

  async detach(sessionId: string): Promise<string | undefined> {
    const token = (await this.redis.eval(DETACH, 3, this.sessionKey(sessionId), this.detachedKey, this.seqKey, sessionId)) as string | null;
    return token ?? undefined;
  }

  async attach(sessionId: string): Promise<void> {
    await this.redis.hdel(this.detachedKey, sessionId);
  }

  async releaseDetached(sessionId: string, token: string): Promise<Released[]> {
    // The modal keys are built in the script from the session's modal ids (one Redis node, not Redis Cluster).
    const keys = ['', '', this.sessionKey(sessionId), this.allKey, this.detachedKey, this.seqKey];
    const flat = (await this.redis.eval(RELEASE, keys.length, ...keys, sessionId, token, this.base)) as string[];
    const released: Released[] = [];
    for (let i = 0; i < flat.length; i += 2) released.push({ modalId: flat[i], viewer: parseViewer(flat[i + 1]) });
    return released;
  }

  async list(modalId?: string): Promise<ModalState[]> {
    const ids = modalId !== undefined ? [modalId] : await this.redis.zrange(this.allKey, 0, -1);
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) {
      pipeline.zrange(this.orderKey(id), 0, -1);
      pipeline.hgetall(this.viewersKey(id));
    }
    const replies = (await pipeline.exec()) ?? [];
    const states: ModalState[] = [];
    ids.forEach((id, i) => {
      const [orderError, order] = replies[2 * i];
      const [viewersError, viewers] = replies[2 * i + 1];
      const failed = orderError ?? viewersError;
      if (failed) throw failed;
      const byId = viewers as Record<string, string>;
      const list = (order as string[]).filter((sid) => byId[sid]).map((sid) => parseViewer(byId[sid]));
      if (list.length) states.push({ modalId: id, viewers: list });
    });
    return states;
  }

  countBySession(sessionId: string): Promise<number> {
    return this.redis.zcard(this.sessionKey(sessionId));
  }

  async countByUser(userId: string): Promise<UserModalCounts> {
    const [open, exclusive] = await Promise.all([this.redis.scard(this.userKey(userId)), this.redis.scard(this.exclusiveKey(userId))]);
    return { open, exclusive };
  }
}

/** Viewer fields in the contract's order, whatever order the script's JSON encoder used. */
function parseViewer(raw: string): Viewer {
  const v = JSON.parse(raw) as Viewer;
  return { userId: v.userId, username: v.username, sessionId: v.sessionId, exclusive: v.exclusive, openedAt: v.openedAt };
}
