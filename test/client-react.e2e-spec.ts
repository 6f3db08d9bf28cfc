import './support/dom';
import { createClient, type RealtimeClient } from '@realtime-backend/client';
import {
  RealtimeProvider,
  useConnection,
  useConversation,
  useModalViewers,
  usePresence,
  useRealtimeClient,
} from '@realtime-backend/client/react';
import { act, cleanup, fireEvent, render, waitFor } from '@testing-library/react';
import { createElement, StrictMode } from 'react';
import { startApp, type TestApp } from './support/app';
import { ClientTracker, type TestUser } from './support/clients';

/**
 * The React binding (`@realtime-backend/client/react`, its built CJS) rendered by react-dom in
 * jsdom against the live server: the hooks show the server's state, follow its events, and
 * subscribe/open on mount and unsubscribe/close on unmount.
 */
const WAIT = { timeout: 10_000 };
/** What the specs read of a rendered element (the project's types have no DOM lib). */
type Rendered = { textContent: string | null; children: ArrayLike<unknown> };
const byId = (view: { getByTestId(id: string): unknown }, id: string) => view.getByTestId(id) as Rendered;

function Panel({ peerId, modalId }: { peerId: string; modalId?: string }) {
  const { state, session } = useConnection();
  const presence = usePresence(peerId);
  const conversation = useConversation({ to: peerId });
  const { viewers } = useModalViewers(modalId);
  const client = useRealtimeClient();
  return createElement(
    'div',
    null,
    createElement('span', { 'data-testid': 'state' }, state),
    createElement('span', { 'data-testid': 'me' }, session?.user.username ?? ''),
    createElement('span', { 'data-testid': 'presence' }, presence?.status ?? 'unknown'),
    createElement('span', { 'data-testid': 'session' }, client.sessionId ?? ''),
    createElement(
      'ul',
      { 'data-testid': 'messages' },
      conversation.messages.map((m) =>
        createElement(
          'li',
          { key: m.id },
          m.deletedAt
            ? `${m.from.username}: (deleted)`
            : `${m.from.username}: ${m.content}${m.editedAt ? ' (edited)' : ''}${(m.reactions ?? []).map((r) => ` ${r.emoji}${r.count}`).join('')}`,
        ),
      ),
    ),
    createElement(
      'ul',
      { 'data-testid': 'viewers' },
      viewers.map((v) => createElement('li', { key: v.sessionId }, v.username)),
    ),
    createElement('button', { onClick: () => void conversation.send('hello from react') }, 'send'),
  );
}

/** Watches a modal without opening it: its viewers and its lock, live. */
function Watcher({ modalId }: { modalId: string }) {
  const { viewers, lock, fencingToken, requestedBy } = useModalViewers(modalId, { open: false });
  return createElement(
    'div',
    null,
    createElement('span', { 'data-testid': 'viewers' }, viewers.map((v) => v.username).join(',')),
    createElement('span', { 'data-testid': 'holder' }, lock?.holder.username ?? 'nobody'),
    createElement('span', { 'data-testid': 'token' }, String(fencingToken ?? '')),
    createElement('span', { 'data-testid': 'asked' }, requestedBy?.username ?? ''),
  );
}

describe('React binding (@realtime-backend/client/react)', () => {
  let app: TestApp;
  const clients = new ClientTracker(() => app.url);
  let [alice, bob]: TestUser[] = [];

  beforeAll(async () => {
    app = await startApp();
    [alice, bob] = await Promise.all([clients.user(0), clients.user(0)]); // registered, not connected
  });
  afterEach(() => {
    cleanup();
    clients.closeAll();
  });
  afterAll(() => app?.close());

  const mount = (client: RealtimeClient, props: { peerId: string; modalId?: string }) =>
    render(createElement(StrictMode, null, createElement(RealtimeProvider, { client }, createElement(Panel, props))));

  it('connection, a peer’s presence, the conversation and a modal’s viewers, live', async () => {
    const b = await clients.typed(bob.token);
    const a = clients.track(createClient(app.url, alice.token, { socket: { forceNew: true } }));
    const view = mount(a, { peerId: bob.user.id, modalId: 'invoice-7' });
    const text = (id: string) => byId(view, id).textContent;

    await waitFor(() => expect(text('state')).toBe('connected'), WAIT);
    expect(text('me')).toBe(alice.user.username);
    await waitFor(() => expect(text('presence')).toBe('online'), WAIT);
    await act(() => b.request('presence:set', { status: 'busy' }));
    await waitFor(() => expect(text('presence')).toBe('busy'), WAIT);

    // The conversation: history on mount, then what arrives, and what this component sends.
    await act(() => b.request('message:send', { to: alice.user.id, content: 'hi from bob' }));
    await waitFor(() => expect(text('messages')).toBe(`${bob.user.username}: hi from bob`), WAIT);
    const atBob = new Promise<string>((resolve) => b.on('message:new', (m) => resolve(m.content)));
    fireEvent.click(view.getByText('send'));
    expect(await atBob).toBe('hello from react');
    await waitFor(() => expect(byId(view, 'messages').children).toHaveLength(2), WAIT);

    // The modal: this session opened it on mount; Bob opens and closes it.
    await waitFor(() => expect(text('viewers')).toBe(alice.user.username), WAIT);
    await act(() => b.request('modal:open', { modalId: 'invoice-7' }));
    await waitFor(() => expect(text('viewers')).toBe(`${alice.user.username}${bob.user.username}`), WAIT);
    await act(() => b.request('modal:close', { modalId: 'invoice-7' }));
    await waitFor(() => expect(text('viewers')).toBe(alice.user.username), WAIT);

    // Unmounting closes the modal for this session (Bob, who watches it, sees it go).
    const closed = new Promise((resolve) => b.on('modal:closed', resolve));
    await b.request('modal:watch', { modalIds: ['invoice-7'] });
    view.unmount();
    expect(await closed).toMatchObject({ modalId: 'invoice-7', userId: alice.user.id, reason: 'closed' });
  }, 30_000);

  it('useConversation applies message:updated by id: an edit, reactions and a tombstone', async () => {
    const b = await clients.typed(bob.token);
    const a = clients.track(createClient(app.url, alice.token, { socket: { forceNew: true } }));
    const view = mount(a, { peerId: bob.user.id });
    const sent = await b.request('message:send', { to: alice.user.id, content: 'draft one' });
    const item = () => byId(view, 'messages').textContent;
    await waitFor(() => expect(item()).toContain(`${bob.user.username}: draft one`), WAIT);
    const count = byId(view, 'messages').children.length;

    await act(() => b.request('message:edit', { messageId: sent.id, content: 'final one' }));
    await waitFor(() => expect(item()).toContain(`${bob.user.username}: final one (edited)`), WAIT);
    await act(() => b.request('message:react', { messageId: sent.id, emoji: '🎉', on: true }));
    await waitFor(() => expect(item()).toContain('final one (edited) 🎉1'), WAIT);
    await act(() => b.request('message:delete', { messageId: sent.id }));
    await waitFor(() => expect(item()).toContain(`${bob.user.username}: (deleted)`), WAIT);
    expect(item()).not.toContain('final one');
    expect(byId(view, 'messages').children).toHaveLength(count); // replaced in place, never added
  }, 30_000);

  /** Alice's client with a Watcher of `modalId` mounted and connected, and Bob's client. */
  const watching = async (modalId: string) => {
    const b = await clients.typed(bob.token);
    const a = clients.track(createClient(app.url, alice.token, { socket: { forceNew: true } }));
    const view = render(createElement(RealtimeProvider, { client: a }, createElement(Watcher, { modalId })));
    await waitFor(() => expect(a.status.state).toBe('connected'), WAIT);
    return { a, b, view, text: (id: string) => byId(view, id).textContent };
  };

  it('useModalViewers watches the modal: viewers, lock holder and fencing token live; unwatch on unmount', async () => {
    const { a, b, view, text } = await watching('contract:3');
    await waitFor(() => expect(text('holder')).toBe('nobody'), WAIT);

    const held = await act(() => b.request('modal:open', { modalId: 'contract:3', exclusive: true }));
    await waitFor(() => expect(text('viewers')).toBe(bob.user.username), WAIT);
    await waitFor(() => expect(text('holder')).toBe(bob.user.username), WAIT);
    expect(text('token')).toBe(String(held.lock!.fencingToken));
    await act(() => a.request('modal:request', { modalId: 'contract:3' }));
    await waitFor(() => expect(text('asked')).toBe(alice.user.username), WAIT);
    await act(() => b.request('modal:close', { modalId: 'contract:3' }));
    await waitFor(() => expect(text('holder')).toBe('nobody'), WAIT);
    expect(text('viewers')).toBe('');

    // Unmounted: the socket watches nothing, so Bob's next open does not reach it.
    const unwatched = new Promise<unknown>((resolve) =>
      a.socket.onAnyOutgoing((event: string, payload: unknown) => event === 'modal:unwatch' && resolve(payload)),
    );
    view.unmount();
    expect(await unwatched).toEqual({ modalIds: ['contract:3'] });
    await a.request('presence:list', { userIds: [alice.user.id] }); // a round trip after the unwatch
    const heard: string[] = [];
    a.socket.onAny((event: string) => heard.push(event));
    await b.request('modal:open', { modalId: 'contract:3' });
    await a.request('presence:list', { userIds: [alice.user.id] }); // a round trip after Bob's open
    expect(heard.filter((e) => e.startsWith('modal:'))).toEqual([]);
  }, 30_000);

  it('useModalViewers watches again after a reconnect that started a new session (no watches carried over)', async () => {
    const { a, b, view, text } = await watching('contract:4');
    const first = a.sessionId;
    const watches = (): Promise<unknown> =>
      new Promise((resolve) => a.socket.onAnyOutgoing((event: string, payload: unknown) => event === 'modal:watch' && resolve(payload)));

    // The next handshake sends no sessionId: the server starts a new session, which watches nothing.
    const watched = watches();
    await act(async () => {
      a.socket.auth = (cb: (data: object) => void) => cb({ token: alice.token });
      a.socket.disconnect();
      a.socket.connect();
      expect(await watched).toEqual({ modalIds: ['contract:4'] });
    });
    await act(() => a.request('presence:list', { userIds: [alice.user.id] })); // a round trip after the watch (and its state)
    expect(a.sessionId).not.toBe(first);
    await act(() => b.request('modal:open', { modalId: 'contract:4', exclusive: true }));
    await waitFor(() => expect(text('holder')).toBe(bob.user.username), WAIT);
    view.unmount();
  }, 30_000);

  it('after a reconnect the hooks ask the server again: history written meanwhile shows up', async () => {
    const b = await clients.typed(bob.token);
    const a = clients.track(createClient(app.url, alice.token, { socket: { forceNew: true } }));
    const view = mount(a, { peerId: bob.user.id });
    // The history (the first test's two messages) arrived.
    await waitFor(() => expect(byId(view, 'messages').textContent).toContain('hello from react'), WAIT);
    const before = byId(view, 'messages').children.length;

    await act(async () => {
      a.socket.disconnect(); // offline for a moment: what Bob writes now is not pushed to it
      await b.request('message:send', { to: alice.user.id, content: 'while you were away' });
      a.socket.connect();
    });
    await waitFor(() => expect(byId(view, 'messages').textContent).toContain('while you were away'), WAIT);
    expect(byId(view, 'messages').children).toHaveLength(before + 1); // nothing twice
    expect(byId(view, 'state').textContent).toBe('connected');
  }, 30_000);
});
