/**
 * The one mock builder of the unit specs (immich's newTestService idea): every method of a class
 * becomes a jest.fn() that throws until the test gives it a behaviour, so a call the test did not
 * foresee fails loudly instead of returning undefined and passing by accident. Typed, so a
 * renamed method breaks the spec at compile time.
 */
export type Mocked<T> = { [K in keyof T]: T[K] extends (...args: infer A) => infer R ? jest.Mock<R, A> : T[K] };

export function automock<T extends object>(cls: abstract new (...args: never[]) => T, stubs: Partial<Mocked<T>> = {}): Mocked<T> {
  const mock = {} as Record<string, jest.Mock>;
  for (const name of methodNames(cls.prototype as object)) {
    mock[name] = jest.fn(() => {
      throw new Error(`${cls.name}.${name} was called, but the test gave it no behaviour`);
    });
  }
  return Object.assign(mock, stubs) as unknown as Mocked<T>;
}

/** Methods of the class and of the classes it extends. */
function methodNames(prototype: object): string[] {
  const names = new Set<string>();
  for (let p: object | null = prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const name of Object.getOwnPropertyNames(p)) {
      const descriptor = Object.getOwnPropertyDescriptor(p, name);
      if (name !== 'constructor' && typeof descriptor?.value === 'function') names.add(name);
    }
  }
  return [...names];
}
