import { excerptOf, MAX_MENTIONS, mentionedUsernames } from './mentions';

describe('mentionedUsernames', () => {
  it('finds @names, lower-cased, distinct, in order', () => {
    expect(mentionedUsernames('hi @Bob and @carol_1, @bob again')).toEqual(['bob', 'carol_1']);
  });
  it('ignores e-mail addresses, too-short names and a sentence dot', () => {
    expect(mentionedUsernames('mail a@bob.com or @al, see @dave.')).toEqual(['dave']);
  });
  it('keeps at most MAX_MENTIONS', () => {
    const content = Array.from({ length: 30 }, (_, i) => `@user${i}`).join(' ');
    expect(mentionedUsernames(content)).toHaveLength(MAX_MENTIONS);
  });
  it('costs nothing without an @', () => {
    expect(mentionedUsernames('plain text')).toEqual([]);
  });
});

describe('excerptOf', () => {
  it('cuts at 100 code points', () => {
    expect(excerptOf('😀'.repeat(150))).toBe('😀'.repeat(100));
    expect(excerptOf('short')).toBe('short');
  });
});
