import { describeStore } from '../testing/store-suite';
import type { Viewer } from '../contracts';
import { type ModalCaps, type ModalStore } from './modal.store';
import { InMemoryModalStore } from './in-memory-modal.store';
import type Redis from 'ioredis';
import { RedisModalStore } from './redis-modal.store';

const viewer = (userId: string, sessionId: string, exclusive = false): Viewer => ({
  userId,
  username: userId,
  sessionId,
  exclusive,
  openedAt: '2026-01-01T00:00:00.000Z',
});

/** Caps out of the way of the rule tests. */
const ROOMY: ModalCaps = { perSession: 1000, perUser: 1000, exclusivePerUser: 1000 };

describeStore<ModalStore>(
  'ModalStore',
  { inMemory: () => new InMemoryModalStore(), redis: (client, prefix) => new RedisModalStore(client, prefix) },
  ({ it, newStore, kind }) => {
    it('applies the exclusive rules between users but not between tabs of one user', async () => {
      const store = newStore();
      expect((await store.open('m', viewer('a', 's1', true), ROOMY)).outcome).toBe('opened');
      expect(await store.open('m', viewer('b', 's2'), ROOMY)).toEqual({ outcome: 'conflict', holder: viewer('a', 's1', true) });
      expect((await store.open('m', viewer('a', 's3'), ROOMY)).outcome).toBe('opened');
      expect((await store.open('m', viewer('a', 's1', true), ROOMY)).outcome).toBe('unchanged');

      expect((await store.open('n', viewer('b', 's2'), ROOMY)).outcome).toBe('opened');
      expect(await store.open('n', viewer('a', 's1', true), ROOMY)).toEqual({ outcome: 'conflict', holder: viewer('b', 's2') });
    });

    it('changes the exclusive flag of an existing viewer in place', async () => {
      const store = newStore();
      await store.open('m', viewer('a', 's1'), ROOMY);
      const upgraded = await store.open('m', { ...viewer('a', 's1', true), openedAt: 'later' }, ROOMY);
      expect(upgraded).toMatchObject({ outcome: 'opened', viewer: { exclusive: true, openedAt: '2026-01-01T00:00:00.000Z' } });
      expect((await store.list('m'))[0].viewers).toHaveLength(1);
    });

    it('closes per session and forgets empty modals', async () => {
      const store = newStore();
      await store.open('m', viewer('a', 's1'), ROOMY);
      expect(await store.close('m', 's2')).toBeUndefined();
      expect(await store.close('m', 's1')).toEqual({ modalId: 'm', viewer: viewer('a', 's1') });
      expect(await store.list()).toEqual([]);
      expect(await store.countBySession('s1')).toBe(0);
    });

    it('releases a detached session only if it did not attach again', async () => {
      const store = newStore();
      expect(await store.detach('s1')).toBeUndefined();
      await store.open('m', viewer('a', 's1'), ROOMY);
      await store.open('n', viewer('a', 's1'), ROOMY);
      const stale = (await store.detach('s1'))!;
      await store.attach('s1');
      expect(await store.releaseDetached('s1', stale)).toEqual([]);
      const token = (await store.detach('s1'))!;
      expect((await store.releaseDetached('s1', token)).map((r) => r.modalId)).toEqual(['m', 'n']);
      expect(await store.list()).toEqual([]);
    });

    it('lists viewers and modals in opening order, with names and flags as given', async () => {
      const store = newStore();
      await store.open('m', { ...viewer('a', 's1'), username: 'Zoë "z" /a' }, ROOMY);
      await store.open('n', viewer('b', 's2'), ROOMY);
      await store.open('m', viewer('b', 's2'), ROOMY);
      expect(await store.list()).toEqual([
        { modalId: 'm', viewers: [{ ...viewer('a', 's1'), username: 'Zoë "z" /a' }, viewer('b', 's2')] },
        { modalId: 'n', viewers: [viewer('b', 's2')] },
      ]);
      expect(await store.list('nothing')).toEqual([]);
      expect(await store.countBySession('s2')).toBe(2);
    });

    it('forgets the detach mark once the session closed its last modal', async () => {
      const store = newStore();
      await store.open('m', viewer('a', 's1'), ROOMY);
      const token = (await store.detach('s1'))!;
      await store.close('m', 's1');
      await store.open('m', viewer('a', 's1'), ROOMY);
      expect(await store.releaseDetached('s1', token)).toEqual([]);
      expect((await store.list('m'))[0].viewers).toEqual([viewer('a', 's1')]);
    });

    it('lets exactly one of two users racing for an exclusive modal win', async () => {
      const store = newStore();
      const results = await Promise.all([store.open('m', viewer('a', 's1', true), ROOMY), store.open('m', viewer('b', 's2', true), ROOMY)]);
      expect(results.map((r) => r.outcome).sort()).toEqual(['conflict', 'opened']);
    });

    it('caps a session at perSession new viewers; re-opening what it has never counts twice', async () => {
      const store = newStore();
      const caps = { ...ROOMY, perSession: 2 };
      await store.open('m1', viewer('a', 's1'), caps);
      await store.open('m2', viewer('a', 's1'), caps);
      expect(await store.open('m3', viewer('a', 's1'), caps)).toEqual({ outcome: 'limit', cap: 'session', limit: 2 });
      expect((await store.open('m2', viewer('a', 's1'), caps)).outcome).toBe('unchanged');
      expect((await store.open('m2', viewer('a', 's1', true), caps)).outcome).toBe('opened');
      expect((await store.open('m3', viewer('a', 's2'), caps)).outcome).toBe('opened');
      expect(await store.list('m3')).toEqual([{ modalId: 'm3', viewers: [viewer('a', 's2')] }]);
      expect(await store.countBySession('s1')).toBe(2);
    });

    it("caps a user across all of their sessions, counting only that user's own viewers", async () => {
      const store = newStore();
      const caps = { ...ROOMY, perUser: 3 };
      // Another user's viewers, also of the same modals, take nothing from a's allowance.
      for (const m of ['m1', 'm2', 'm3']) expect((await store.open(m, viewer('b', 'sb'), caps)).outcome).toBe('opened');
      await store.open('m1', viewer('a', 's1'), caps);
      await store.open('m2', viewer('a', 's1'), caps);
      await store.open('m1', viewer('a', 's2'), caps);
      expect(await store.open('m3', viewer('a', 's3'), caps)).toEqual({ outcome: 'limit', cap: 'user', limit: 3 });
      expect(await store.open('m2', viewer('a', 's2'), caps)).toEqual({ outcome: 'limit', cap: 'user', limit: 3 });
      expect(await store.countByUser('a')).toEqual({ open: 3, exclusive: 0 });
      expect(await store.countByUser('b')).toEqual({ open: 3, exclusive: 0 });
      expect(await store.open('m5', viewer('b', 'sb2'), caps)).toMatchObject({ outcome: 'limit', cap: 'user' });
    });

    it('caps exclusive viewers per user, also when an open viewer turns exclusive', async () => {
      const store = newStore();
      const caps = { ...ROOMY, exclusivePerUser: 2 };
      await store.open('m1', viewer('a', 's1', true), caps);
      await store.open('m2', viewer('a', 's2', true), caps);
      expect(await store.open('m3', viewer('a', 's1', true), caps)).toEqual({ outcome: 'limit', cap: 'exclusive', limit: 2 });
      expect(await store.list('m3')).toEqual([]);
      expect((await store.open('m3', viewer('a', 's1'), caps)).outcome).toBe('opened');
      expect(await store.open('m3', viewer('a', 's1', true), caps)).toEqual({ outcome: 'limit', cap: 'exclusive', limit: 2 });
      expect((await store.list('m3'))[0].viewers).toEqual([viewer('a', 's1')]);
      // Giving up exclusivity (here by turning m1 shared) frees a place.
      expect((await store.open('m1', viewer('a', 's1'), caps)).outcome).toBe('opened');
      expect((await store.open('m3', viewer('a', 's1', true), caps)).outcome).toBe('opened');
      expect(await store.countByUser('a')).toEqual({ open: 3, exclusive: 2 });
    });

    it('keeps the per-user counts exact through close, release and re-attach', async () => {
      const store = newStore();
      const caps = { perSession: 10, perUser: 4, exclusivePerUser: 2 };
      await store.open('m1', viewer('a', 's1', true), caps);
      await store.open('m2', viewer('a', 's1'), caps);
      await store.open('m1', viewer('a', 's2', true), caps);
      await store.open('m3', viewer('a', 's2'), caps);
      expect(await store.countByUser('a')).toEqual({ open: 4, exclusive: 2 });

      expect(await store.close('m3', 's2')).toMatchObject({ modalId: 'm3' });
      expect(await store.close('m3', 's2')).toBeUndefined();
      expect(await store.countByUser('a')).toEqual({ open: 3, exclusive: 2 });
      const stale = (await store.detach('s1'))!;
      await store.attach('s1');
      expect(await store.releaseDetached('s1', stale)).toEqual([]);
      expect(await store.countByUser('a')).toEqual({ open: 3, exclusive: 2 });
      const token = (await store.detach('s1'))!;
      expect(await store.releaseDetached('s1', token)).toHaveLength(2);
      expect(await store.countByUser('a')).toEqual({ open: 1, exclusive: 1 });

      // Exactly the freed places can be taken again, and no more.
      for (const m of ['n1', 'n2', 'n3']) expect((await store.open(m, viewer('a', 's3'), caps)).outcome).toBe('opened');
      expect(await store.open('n4', viewer('a', 's3'), caps)).toMatchObject({ outcome: 'limit', cap: 'user' });
      expect((await store.open('n1', viewer('a', 's3', true), caps)).outcome).toBe('opened');
      expect(await store.open('n2', viewer('a', 's3', true), caps)).toMatchObject({ outcome: 'limit', cap: 'exclusive' });
      await store.close('m1', 's2');
      await store.close('n1', 's3');
      expect(await store.countByUser('a')).toEqual({ open: 2, exclusive: 0 });
    });

    it('never passes a cap under 30 concurrent opens from several sessions of one user', async () => {
      const store = newStore();
      const caps = { perSession: 4, perUser: 7, exclusivePerUser: 3 };
      const attempts = Array.from({ length: 30 }, (_, i) => ({ modalId: `m${i % 10}`, sessionId: `s${i % 3}`, exclusive: i % 2 === 0 }));
      const results = await Promise.all(attempts.map((a) => store.open(a.modalId, viewer('a', a.sessionId, a.exclusive), caps)));
      const states = await store.list();
      const viewers = states.flatMap((s) => s.viewers);
      expect(results.filter((r) => r.outcome === 'opened')).toHaveLength(7);
      expect(viewers).toHaveLength(7);
      for (const sessionId of ['s0', 's1', 's2']) expect(viewers.filter((v) => v.sessionId === sessionId).length).toBeLessThanOrEqual(4);
      const exclusive = viewers.filter((v) => v.exclusive).length;
      expect(exclusive).toBeLessThanOrEqual(3);
      expect(await store.countByUser('a')).toEqual({ open: 7, exclusive });
      for (const r of results) if (r.outcome !== 'opened') expect(r.outcome).toBe('limit');
    });

    if (kind === 'redis') {
      it('drops per-user index entries left without a viewer (an older instance closed it) once they would refuse an open', async () => {
        const store = newStore() as RedisModalStore;
        const caps = { perSession: 10, perUser: 2, exclusivePerUser: 1 };
        await store.open('m1', viewer('a', 's1', true), caps);
        await store.open('m2', viewer('a', 's1'), caps);
        // What the previous version's close did: the viewer goes, the per-user sets keep it.
        const redis = (store as unknown as { redis: Redis; base: string }).redis;
        const base = (store as unknown as { base: string }).base;
        await redis.hdel(`${base}:v:m1`, 's1');
        await redis.zrem(`${base}:o:m1`, 's1');
        await redis.zrem(`${base}:s:s1`, 'm1');
        expect(await store.countByUser('a')).toEqual({ open: 2, exclusive: 1 });
        expect((await store.open('m3', viewer('a', 's1', true), caps)).outcome).toBe('opened');
        expect(await store.countByUser('a')).toEqual({ open: 2, exclusive: 1 });
        expect(await store.open('m4', viewer('a', 's1'), caps)).toMatchObject({ outcome: 'limit', cap: 'user' });
      });
    }

    it('gives the lock to the earliest exclusive viewer, with a fencing token that grows on every change of holder', async () => {
      const store = newStore();
      const first = await store.open('m', viewer('a', 's1', true), ROOMY);
      expect(first).toMatchObject({ outcome: 'opened', lock: { holder: viewer('a', 's1', true), fencingToken: expect.any(Number) } });
      const t1 = (first as { lock: { fencingToken: number } }).lock.fencingToken;
      // Another exclusive tab of the same user does not take it; the holder keeps it and its token.
      expect(await store.open('m', viewer('a', 's2', true), ROOMY)).not.toHaveProperty('lock');
      expect((await store.list('m'))[0].lock).toEqual({ holder: viewer('a', 's1', true), fencingToken: t1 });
      // The holder leaves: the other exclusive tab takes it with a greater token.
      const passed = (await store.close('m', 's1'))!;
      expect(passed.lock).toEqual({ holder: viewer('a', 's2', true), fencingToken: expect.any(Number) });
      expect(passed.lock!.fencingToken).toBeGreaterThan(t1);
      // The last exclusive viewer turns plain: nobody holds it; the event carries the ended token.
      const plain = await store.open('m', viewer('a', 's2', false), ROOMY);
      expect(plain).toMatchObject({ outcome: 'opened', lock: { fencingToken: passed.lock!.fencingToken } });
      expect((plain as { lock: object }).lock).not.toHaveProperty('holder');
      expect((await store.list('m'))[0]).not.toHaveProperty('lock');
      await store.close('m', 's2');
      const again = await store.open('m', viewer('b', 's3', true), ROOMY);
      expect((again as { lock: { fencingToken: number } }).lock.fencingToken).toBeGreaterThan(passed.lock!.fencingToken);
    });

    it('keeps the requests of a lock and hands it over to a requester, who becomes the exclusive viewer', async () => {
      const store = newStore();
      const held = (await store.open('m', viewer('a', 's1', true), ROOMY)) as { lock: { fencingToken: number } };
      expect(await store.request('m', { userId: 'a', username: 'a', sessionId: 's9' })).toEqual({ outcome: 'not-held' });
      expect(await store.request('n', { userId: 'b', username: 'b', sessionId: 's2' })).toEqual({ outcome: 'not-held' });
      expect(await store.request('m', { userId: 'b', username: 'b', sessionId: 's2' })).toEqual({
        outcome: 'requested',
        holder: viewer('a', 's1', true),
        fencingToken: held.lock.fencingToken,
      });
      expect(await store.release('m', 's2', undefined, ROOMY, 'now')).toEqual({ outcome: 'not-holder' });
      expect(await store.release('m', 's1', 'c', ROOMY, 'now')).toEqual({ outcome: 'no-request' });
      const handed = await store.release('m', 's1', 'b', ROOMY, '2026-01-02T00:00:00.000Z');
      const taker = { ...viewer('b', 's2', true), openedAt: '2026-01-02T00:00:00.000Z' };
      expect(handed).toEqual({
        outcome: 'released',
        changed: [viewer('a', 's1', false), taker],
        lock: { holder: taker, fencingToken: expect.any(Number) },
      });
      const token = (handed as { lock: { fencingToken: number } }).lock.fencingToken;
      expect(token).toBeGreaterThan(held.lock.fencingToken);
      expect(await store.list('m')).toEqual([
        { modalId: 'm', viewers: [viewer('a', 's1', false), taker], lock: { holder: taker, fencingToken: token } },
      ]);
      expect(await store.countByUser('b')).toEqual({ open: 1, exclusive: 1 });
      expect(await store.countByUser('a')).toEqual({ open: 1, exclusive: 0 });
      // The requests went with the old holder; releasing to nobody ends the lock.
      expect(await store.release('m', 's2', 'a', ROOMY, 'now')).toEqual({ outcome: 'no-request' });
      expect(await store.release('m', 's2', undefined, ROOMY, 'now')).toEqual({
        outcome: 'released',
        changed: [{ ...taker, exclusive: false }],
        lock: { fencingToken: token },
      });
      expect((await store.list('m'))[0]).not.toHaveProperty('lock');
    });

    it('refuses a hand-over that would pass one of the caps of the requester, changing nothing', async () => {
      const store = newStore();
      const caps = { perSession: 10, perUser: 10, exclusivePerUser: 1 };
      await store.open('m', viewer('a', 's1', true), caps);
      await store.open('n', viewer('b', 's2', true), caps);
      await store.request('m', { userId: 'b', username: 'b', sessionId: 's2' });
      expect(await store.release('m', 's1', 'b', caps, 'now')).toEqual({ outcome: 'limit', cap: 'exclusive', limit: 1 });
      expect((await store.list('m'))[0].lock?.holder.sessionId).toBe('s1');
    });

    it('lets exactly one of many users racing for the lock win, with one token', async () => {
      const store = newStore();
      const results = await Promise.all(['a', 'b', 'c', 'd'].map((u, i) => store.open('race', viewer(u, `s${i}`, true), ROOMY)));
      const won = results.filter((r) => r.outcome === 'opened');
      expect(won).toHaveLength(1);
      expect(results.filter((r) => r.outcome === 'conflict')).toHaveLength(3);
      expect((await store.list('race'))[0].lock).toEqual((won[0] as { lock: object }).lock);
    });

    it('lists by prefix (by id, bounded), by several ids and by user', async () => {
      const store = newStore();
      for (const id of ['inv-3', 'inv-1', 'inv-2', 'other']) await store.open(id, viewer('a', 's1'), ROOMY);
      await store.open('inv-9', viewer('b', 's2'), ROOMY);
      expect(await store.listByPrefix('inv-', 2)).toEqual({
        modals: [
          { modalId: 'inv-1', viewers: [viewer('a', 's1')] },
          { modalId: 'inv-2', viewers: [viewer('a', 's1')] },
        ],
        hasMore: true,
      });
      expect((await store.listByPrefix('inv-', 10)).hasMore).toBe(false);
      expect((await store.listByPrefix('zzz', 10)).modals).toEqual([]);
      expect((await store.listMany(['other', 'nope', 'inv-9'])).map((m) => m.modalId)).toEqual(['other', 'inv-9']);
      expect((await store.listByUser('b')).map((m) => m.modalId)).toEqual(['inv-9']);
      // Every open modal, bounded: the first ones by first opening.
      expect((await store.list(undefined, 2)).map((m) => m.modalId)).toEqual(['inv-3', 'inv-1']);
      await store.close('inv-1', 's1');
      expect((await store.listByPrefix('inv-', 1)).modals.map((m) => m.modalId)).toEqual(['inv-2']);
    });

    it("keeps a session's watches until a detached release, and detaches a session that only watches", async () => {
      const store = newStore();
      await store.watch('s1', { modalIds: ['a', 'b'], prefixes: ['inv-'] });
      await store.unwatch('s1', { modalIds: ['b'], prefixes: [] });
      expect(await store.watches('s1')).toEqual({ modalIds: ['a'], prefixes: ['inv-'] });
      const token = (await store.detach('s1'))!;
      expect(token).toBeDefined();
      await store.attach('s1');
      expect(await store.releaseDetached('s1', token)).toEqual([]);
      expect(await store.watches('s1')).toEqual({ modalIds: ['a'], prefixes: ['inv-'] });
      await store.releaseDetached('s1', (await store.detach('s1'))!);
      expect(await store.watches('s1')).toEqual({ modalIds: [], prefixes: [] });
      expect(await store.detach('s1')).toBeUndefined();
    });
  },
);
