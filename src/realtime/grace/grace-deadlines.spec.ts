import { describeStore } from '../../testing/store-suite';
import { type GraceDeadlines } from './grace-deadlines';
import { InMemoryGraceDeadlines } from './in-memory-grace-deadlines';
import { RedisGraceDeadlines } from './redis-grace-deadlines';

describeStore<GraceDeadlines>(
  'GraceDeadlines',
  { inMemory: () => new InMemoryGraceDeadlines(), redis: (client, prefix) => new RedisGraceDeadlines(client, prefix) },
  ({ it, newStore }) => {
    it('hands a deadline out only once it is due, and only once', async () => {
      const store = newStore();
      await store.schedule('user', 'u1', 1000, '7');
      expect(await store.takeIfDue('user', ['u1'], 999)).toEqual([]);
      expect(await store.takeDue('user', 999, 10)).toEqual([]);
      expect(await store.takeIfDue('user', ['u1'], 1000)).toEqual([{ id: 'u1', payload: '7' }]);
      expect(await store.takeIfDue('user', ['u1'], 5000)).toEqual([]);
      expect(await store.takeDue('user', 5000, 10)).toEqual([]);
    });

    it('replaces a deadline when scheduled again and forgets a cancelled one', async () => {
      const store = newStore();
      await store.schedule('user', 'u1', 1000, '1');
      await store.schedule('user', 'u1', 3000, '2');
      expect(await store.takeIfDue('user', ['u1'], 2000)).toEqual([]);
      await store.schedule('user', 'u2', 1000, 'x');
      await store.cancel('user', 'u2');
      expect(await store.takeDue('user', 3000, 10)).toEqual([{ id: 'u1', payload: '2' }]);
    });

    it('takes the listed deadlines that are due, each with its payload, and leaves the rest', async () => {
      const store = newStore();
      await store.schedule('user', 'a', 100, 'pa');
      await store.schedule('user', 'b', 900, 'pb');
      await store.schedule('user', 'c', 100, 'pc');
      await store.schedule('session', 'a', 100, 'sa');
      expect(await store.takeIfDue('user', [], 500)).toEqual([]);
      expect(await store.takeIfDue('user', ['a', 'b', 'nobody'], 500)).toEqual([{ id: 'a', payload: 'pa' }]);
      expect(await store.takeDue('user', 1000, 10)).toEqual([
        { id: 'c', payload: 'pc' },
        { id: 'b', payload: 'pb' },
      ]);
      expect(await store.takeIfDue('session', ['a'], 500)).toEqual([{ id: 'a', payload: 'sa' }]);
    });

    it('takes due deadlines earliest first, up to the limit, keeping kinds apart', async () => {
      const store = newStore();
      await store.schedule('user', 'b', 200, 'pb');
      await store.schedule('user', 'a', 100, 'pa');
      await store.schedule('user', 'c', 300, 'pc');
      await store.schedule('session', 'a', 100, 'sa');
      expect(await store.takeDue('user', 1000, 2)).toEqual([
        { id: 'a', payload: 'pa' },
        { id: 'b', payload: 'pb' },
      ]);
      expect(await store.takeDue('user', 1000, 10)).toEqual([{ id: 'c', payload: 'pc' }]);
      expect(await store.takeDue('session', 1000, 10)).toEqual([{ id: 'a', payload: 'sa' }]);
    });

    it('gives each due deadline to exactly one of several takers', async () => {
      const store = newStore();
      for (let i = 0; i < 20; i += 1) await store.schedule('user', `u${i}`, 100, String(i));
      const taken = (
        await Promise.all([
          store.takeDue('user', 200, 100),
          store.takeIfDue('user', ['u3', 'u4', 'u5'], 200),
          store.takeDue('user', 200, 100),
          store.takeIfDue('user', ['u5', 'u6'], 200),
        ])
      ).flatMap((due) => due.map((d) => d.id));
      expect(taken.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `u${i}`).sort());
    });
  },
);
