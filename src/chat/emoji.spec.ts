import { isReactionEmoji } from './emoji';

describe('isReactionEmoji', () => {
  it.each(['👍', '❤️', '👩‍👩‍👧', '🇫🇷', '1️⃣', '👍🏽', ':thumbs_up:', ':+1:'])('accepts %s', (e) => expect(isReactionEmoji(e)).toBe(true));
  it.each(['', 'a', '👍👍', ':Thumbs:', '::', ':a b:', 'ok', '<b>', "' OR 1=1"])('refuses %p', (e) =>
    expect(isReactionEmoji(e)).toBe(false),
  );
});
