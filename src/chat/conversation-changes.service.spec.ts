import { AppError } from '../common/errors/app-error';
import { decodeChangeCursor, encodeChangeCursor } from './conversation-changes.service';
import { searchTerms } from './message-search.service';

describe('change cursors', () => {
  it('round-trip, and a bare conversationId starts from the beginning', () => {
    const cursor = encodeChangeCursor('room:r1', { seq: 12, change: 7 });
    expect(cursor).toBe('room:r1@12.7');
    expect(decodeChangeCursor(cursor)).toEqual({ conversationId: 'room:r1', at: { seq: 12, change: 7 } });
    expect(decodeChangeCursor('dm:a:b')).toEqual({ conversationId: 'dm:a:b', at: { seq: 0, change: 0 } });
  });
  it.each(['garbage', 'dm:b:a', 'room:r1@1', 'room:r1@x.1', 'room:r1@99999999999.0', 'room:r1@1.2.3', ''])(
    'refuses %p with BAD_REQUEST',
    (cursor) => {
      let error: unknown;
      try {
        decodeChangeCursor(cursor);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('BAD_REQUEST');
    },
  );
});

describe('searchTerms', () => {
  it('keeps runs of letters and digits only, lower-cased and distinct', () => {
    expect(searchTerms('" OR 1=1 --')).toEqual(['or', '1']);
    expect(searchTerms('NEAR(a b) content:* -x')).toEqual(['near', 'a', 'b', 'content', 'x']);
    expect(searchTerms('*** ---')).toEqual([]);
    expect(searchTerms('Café Ünïcode')).toEqual(['café', 'ünïcode']);
  });
  it('keeps at most 8 terms', () => {
    expect(searchTerms('a b c d e f g h i j')).toHaveLength(8);
  });
});
