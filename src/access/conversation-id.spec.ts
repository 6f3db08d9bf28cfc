import { dmConversationId, parseConversationId } from './conversation-id';

describe('conversation ids', () => {
  it('sorts DM ids so both users name the conversation the same way', () => {
    expect(dmConversationId('b', 'a')).toBe('dm:a:b');
    expect(dmConversationId('a', 'b')).toBe('dm:a:b');
    expect(dmConversationId('a', 'a')).toBe('dm:a:a');
  });

  it.each([
    ['dm:a:b', { kind: 'dm', id: 'dm:a:b', userA: 'a', userB: 'b' }],
    ['room:r-1', { kind: 'room', id: 'room:r-1', roomId: 'r-1' }],
    ['dm:b:a', undefined],
    ['dm:a', undefined],
    ['dm:a:b:c', undefined],
    ['room:', undefined],
    ['room:a b', undefined],
    ['chan:x', undefined],
    [42, undefined],
  ])('parses %p', (input, expected) => {
    expect(parseConversationId(input)).toEqual(expected);
  });
});
