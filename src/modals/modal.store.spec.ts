import type { Viewer } from '../contracts';
import { InMemoryModalStore } from './modal.store';

const viewer = (userId: string, sessionId: string, exclusive = false): Viewer => ({
  userId,
  username: userId,
  sessionId,
  exclusive,
  openedAt: '2026-01-01T00:00:00.000Z',
});

describe('InMemoryModalStore', () => {
  it('applies the exclusive rules between users but not between tabs of one user', async () => {
    const store = new InMemoryModalStore();
    expect((await store.open('m', viewer('a', 's1', true))).outcome).toBe('opened');
    expect(await store.open('m', viewer('b', 's2'))).toEqual({ outcome: 'conflict', holder: viewer('a', 's1', true) });
    expect((await store.open('m', viewer('a', 's3'))).outcome).toBe('opened');
    expect((await store.open('m', viewer('a', 's1', true))).outcome).toBe('unchanged');

    expect((await store.open('n', viewer('b', 's2'))).outcome).toBe('opened');
    expect(await store.open('n', viewer('a', 's1', true))).toEqual({ outcome: 'conflict', holder: viewer('b', 's2') });
  });

  it('changes the exclusive flag of an existing viewer in place', async () => {
    const store = new InMemoryModalStore();
    await store.open('m', viewer('a', 's1'));
    const upgraded = await store.open('m', { ...viewer('a', 's1', true), openedAt: 'later' });
    expect(upgraded).toMatchObject({ outcome: 'opened', viewer: { exclusive: true, openedAt: '2026-01-01T00:00:00.000Z' } });
    expect((await store.list('m'))[0].viewers).toHaveLength(1);
  });

  it('closes per session and forgets empty modals', async () => {
    const store = new InMemoryModalStore();
    await store.open('m', viewer('a', 's1'));
    expect(await store.close('m', 's2')).toBeUndefined();
    expect(await store.close('m', 's1')).toEqual({ modalId: 'm', viewer: viewer('a', 's1') });
    expect(await store.list()).toEqual([]);
    expect(await store.countBySession('s1')).toBe(0);
  });

  it('releases a detached session only if it did not attach again', async () => {
    const store = new InMemoryModalStore();
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
});
