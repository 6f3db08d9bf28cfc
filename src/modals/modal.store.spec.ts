import { describeStore } from '../testing/store-suite';
import type { Viewer } from '../contracts';
import { InMemoryModalStore, type ModalStore } from './modal.store';
import { RedisModalStore } from './redis-modal.store';

const viewer = (userId: string, sessionId: string, exclusive = false): Viewer => ({
  userId,
  username: userId,
  sessionId,
  exclusive,
  openedAt: '2026-01-01T00:00:00.000Z',
});

describeStore<ModalStore>(
  'ModalStore',
  { inMemory: () => new InMemoryModalStore(), redis: (client, prefix) => new RedisModalStore(client, prefix) },
  ({ it, newStore }) => {
    it('applies the exclusive rules between users but not between tabs of one user', async () => {
      const store = newStore();
      expect((await store.open('m', viewer('a', 's1', true))).outcome).toBe('opened');
      expect(await store.open('m', viewer('b', 's2'))).toEqual({ outcome: 'conflict', holder: viewer('a', 's1', true) });
      expect((await store.open('m', viewer('a', 's3'))).outcome).toBe('opened');
      expect((await store.open('m', viewer('a', 's1', true))).outcome).toBe('unchanged');

      expect((await store.open('n', viewer('b', 's2'))).outcome).toBe('opened');
      expect(await store.open('n', viewer('a', 's1', true))).toEqual({ outcome: 'conflict', holder: viewer('b', 's2') });
    });

    it('changes the exclusive flag of an existing viewer in place', async () => {
      const store = newStore();
      await store.open('m', viewer('a', 's1'));
      const upgraded = await store.open('m', { ...viewer('a', 's1', true), openedAt: 'later' });
      expect(upgraded).toMatchObject({ outcome: 'opened', viewer: { exclusive: true, openedAt: '2026-01-01T00:00:00.000Z' } });
      expect((await store.list('m'))[0].viewers).toHaveLength(1);
    });

    it('closes per session and forgets empty modals', async () => {
      const store = newStore();
      await store.open('m', viewer('a', 's1'));
      expect(await store.close('m', 's2')).toBeUndefined();
      expect(await store.close('m', 's1')).toEqual({ modalId: 'm', viewer: viewer('a', 's1') });
      expect(await store.list()).toEqual([]);
      expect(await store.countBySession('s1')).toBe(0);
    });

    it('releases a detached session only if it did not attach again', async () => {
      const store = newStore();
      expect(await store.detach('s1')).toBeUndefined();
      await store.open('m', viewer('a', 's1'));
      await store.open('n', viewer('a', 's1'));
      const stale = (await store.detach('s1'))!;
      await store.attach('s1');
      expect(await store.releaseDetached('s1', stale)).toEqual([]);
      const token = (await store.detach('s1'))!;
      expect((await store.releaseDetached('s1', token)).map((r) => r.modalId)).toEqual(['m', 'n']);
      expect(await store.list()).toEqual([]);
    });

    it('lists viewers and modals in opening order, with names and flags as given', async () => {
      const store = newStore();
      await store.open('m', { ...viewer('a', 's1'), username: 'Zoë "z" /a' });
      await store.open('n', viewer('b', 's2'));
      await store.open('m', viewer('b', 's2'));
      expect(await store.list()).toEqual([
        { modalId: 'm', viewers: [{ ...viewer('a', 's1'), username: 'Zoë "z" /a' }, viewer('b', 's2')] },
        { modalId: 'n', viewers: [viewer('b', 's2')] },
      ]);
      expect(await store.list('nothing')).toEqual([]);
      expect(await store.countBySession('s2')).toBe(2);
    });

    it('forgets the detach mark once the session closed its last modal', async () => {
      const store = newStore();
      await store.open('m', viewer('a', 's1'));
      const token = (await store.detach('s1'))!;
      await store.close('m', 's1');
      await store.open('m', viewer('a', 's1'));
      expect(await store.releaseDetached('s1', token)).toEqual([]);
      expect((await store.list('m'))[0].viewers).toEqual([viewer('a', 's1')]);
    });

    it('lets exactly one of two users racing for an exclusive modal win', async () => {
      const store = newStore();
      const results = await Promise.all([store.open('m', viewer('a', 's1', true)), store.open('m', viewer('b', 's2', true))]);
      expect(results.map((r) => r.outcome).sort()).toEqual(['conflict', 'opened']);
    });
  },
);
