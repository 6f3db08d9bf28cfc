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
  },
);
