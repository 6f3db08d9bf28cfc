/**
 * Automock for unit specs: every method of `T` becomes a jest.fn(). Keeps specs short and
 * typed without pulling in a mocking library (immich's newTestService idea).
 */
export type Mocked<T> = { [K in keyof T]: T[K] extends (...args: infer A) => infer R ? jest.Mock<R, A> : T[K] };

export function automock<T extends object>(cls: abstract new (...args: never[]) => T): Mocked<T> {
  const mock = {} as Record<string, jest.Mock>;
  for (const name of Object.getOwnPropertyNames(cls.prototype)) {
    if (name !== 'constructor') mock[name] = jest.fn();
  }
  return mock as unknown as Mocked<T>;
}
