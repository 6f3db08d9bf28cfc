import { Client } from 'pg';
import { NamedStatementClient, registerHotStatement } from './pg-named-statements';

describe('NamedStatementClient', () => {
  afterEach(() => jest.restoreAllMocks());

  it('runs a registered text as its named statement and anything else unchanged', () => {
    const sent = jest.spyOn(Client.prototype, 'query').mockImplementation(() => 'sent');
    registerHotStatement('select $1::int as hot');
    registerHotStatement('select $1::int as hot'); // registering twice keeps one name
    const client = new NamedStatementClient();
    expect(client.query('select $1::int as hot', [1])).toBe('sent');
    expect(client.query('select $1::int as cold', [2])).toBe('sent');
    expect(client.query('select $1::int as hot')).toBe('sent');
    const [hot, cold, noValues] = sent.mock.calls;
    expect(hot).toEqual([{ name: expect.stringMatching(/^hot_\d+$/), text: 'select $1::int as hot', values: [1] }]);
    expect(cold).toEqual(['select $1::int as cold', [2]]);
    expect(noValues).toEqual(['select $1::int as hot']);
  });
});
