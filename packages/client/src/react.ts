/**
 * React binding (`@realtime-backend/client/react`): a provider for a client the app created,
 * and hooks for the connection, a user's presence, a conversation's messages and who has a
 * modal open. Each hook subscribes on mount and unsubscribes on unmount; after a reconnect it
 * asks the server again, so what it shows is the server's state.
 */
import { createContext, createElement, useCallback, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import type { Message, ModalLock, ModalState, Presence, User, Viewer } from '../../../src/contracts/models';
import type { ConnectionStatus, RealtimeClient } from './realtime-client';

const ClientContext = createContext<RealtimeClient | null>(null);

export function RealtimeProvider({ client, children }: { client: RealtimeClient; children?: ReactNode }) {
  return createElement(ClientContext.Provider, { value: client }, children);
}

/** The client from the nearest `RealtimeProvider`. */
export function useRealtimeClient(): RealtimeClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useRealtimeClient: no <RealtimeProvider client={…}> above this component');
  return client;
}

/** `{ state, session, error }`, re-rendered on every change. */
export function useConnection(): ConnectionStatus {
  const client = useRealtimeClient();
  return useSyncExternalStore(
    (onChange) => client.onStatus(onChange),
    () => client.status,
  );
}

/** Runs `effect` now when connected and again after every `session` (a reconnect). */
function useEverySession(client: RealtimeClient, effect: () => void, deps: unknown[]) {
  useEffect(() => {
    if (client.status.state === 'connected') effect();
    return client.on('session', effect);
  }, [client, ...deps]); // `effect` is a new closure every render; `deps` are what it reads
}

/** How many mounted hooks watch each user, per client: unsubscribing one must not end another's. */
const presenceWatchers = new WeakMap<RealtimeClient, Map<string, number>>();

/** A user's presence, live (`presence:subscribe`); undefined until the server answered. */
export function usePresence(userId: string | undefined): Presence | undefined {
  const client = useRealtimeClient();
  const [presence, setPresence] = useState<Presence>();
  useEffect(() => {
    setPresence(undefined);
    if (!userId) return;
    const counts = presenceWatchers.get(client) ?? new Map<string, number>();
    presenceWatchers.set(client, counts);
    counts.set(userId, (counts.get(userId) ?? 0) + 1);
    const off = client.on('presence:update', (p) => p.userId === userId && setPresence(p));
    return () => {
      off();
      const left = (counts.get(userId) ?? 1) - 1;
      if (left > 0) return void counts.set(userId, left);
      counts.delete(userId);
      if (client.socket.connected) client.request('presence:unsubscribe', { userIds: [userId] }).catch(() => undefined);
    };
  }, [client, userId]);
  useEverySession(client, () => {
    if (!userId) return;
    client
      .request('presence:subscribe', { userIds: [userId] })
      .then(({ users }) => users.forEach((p) => p.userId === userId && setPresence(p)))
      .catch(() => undefined);
  }, [userId]);
  return presence;
}

export type ConversationTarget = { to: string; roomId?: never } | { roomId: string; to?: never };

export interface Conversation {
  conversationId: string | undefined;
  /** Oldest first: the last `limit` from history, then what arrives. */
  messages: Message[];
  loading: boolean;
  error: Error | undefined;
  /** Sends a message; with `replyTo` (a message id of this conversation) it answers that one. */
  send(content: string, options?: { replyTo?: string }): Promise<Message>;
  /** Your own message, new text (`message:edit`). */
  edit(messageId: string, content: string): Promise<Message>;
  /** Your own message (or any, as a room admin): it stays as a tombstone (`deletedAt`, no content). */
  remove(messageId: string): Promise<void>;
  /** Adds (`on`, the default) or removes your reaction. */
  react(messageId: string, emoji: string, on?: boolean): Promise<void>;
}

/**
 * A direct conversation (`{ to: userId }`) or a room's (`{ roomId }`, which the user has joined):
 * its recent history and every new message, deduplicated by id; `message:updated` (an edit, a
 * tombstone, reactions) replaces the message of the same id.
 */
export function useConversation(target: ConversationTarget | undefined, { limit = 50 }: { limit?: number } = {}): Conversation {
  const client = useRealtimeClient();
  const { session } = useConnection();
  const me = session?.user.id;
  const conversationId = !target || !me ? undefined : target.to ? `dm:${[me, target.to].sort().join(':')}` : `room:${target.roomId}`;
  const [messages, setMessages] = useState<Message[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error>();
  const merge = useCallback(
    (incoming: Message[]) =>
      setMessages((current) => {
        const byId = new Map(current.map((m) => [m.id, m]));
        for (const m of incoming) byId.set(m.id, m);
        return [...byId.values()].sort((a, b) => a.seq - b.seq);
      }),
    [],
  );
  useEffect(() => {
    setMessages([]);
    setLoading(conversationId !== undefined);
    setError(undefined);
    if (!conversationId) return;
    const mine = (m: Message) => m.conversationId === conversationId && merge([m]);
    const offs = [client.on('message:new', mine), client.on('message:updated', mine)];
    return () => offs.forEach((off) => off());
  }, [client, conversationId, merge]);
  useEverySession(client, () => {
    if (!conversationId) return;
    client
      .request('message:history', { conversationId, limit })
      .then(({ messages: page }) => merge(page))
      .catch((err: Error) => setError(err))
      .finally(() => setLoading(false));
  }, [conversationId, limit]);
  const to = target?.to;
  const roomId = target?.roomId;
  const send = useCallback(
    async (content: string, { replyTo }: { replyTo?: string } = {}) => {
      const payload = to ? { to, content } : { roomId: roomId!, content };
      const message = await client.request('message:send', { ...payload, clientMsgId: randomId(), ...(replyTo ? { replyTo } : {}) });
      merge([message]);
      return message;
    },
    [client, to, roomId, merge],
  );
  const edit = useCallback(
    async (messageId: string, content: string) => {
      const message = await client.request('message:edit', { messageId, content });
      merge([message]);
      return message;
    },
    [client, merge],
  );
  const remove = useCallback(
    async (messageId: string) => {
      await client.request('message:delete', { messageId }); // the tombstone arrives as message:updated
    },
    [client],
  );
  const react = useCallback(
    async (messageId: string, emoji: string, on = true) => {
      const { reactions } = await client.request('message:react', { messageId, emoji, on });
      setMessages((current) => current.map((m) => (m.id === messageId ? { ...m, reactions } : m)));
    },
    [client],
  );
  return { conversationId, messages, loading, error, send, edit, remove, react };
}

export interface ModalViewers {
  /** Everybody with the modal open, this session included; empty until it is open. */
  viewers: Viewer[];
  /** Who holds the modal exclusively, with the fencing token to send with each save; none: nobody. */
  lock: ModalLock | undefined;
  /** The fencing token of the lock, or of the one that just ended (the last `modal:lock`). */
  fencingToken: number | undefined;
  /** The last user who asked the holder for the lock (`modal:request`), until the lock changes hands. */
  requestedBy: Pick<User, 'id' | 'username'> | undefined;
  error: Error | undefined;
  /** Asks the holder to hand the lock over (`modal:request`). */
  request(): Promise<void>;
  /** Gives the lock up, to nobody or to a user who asked (`modal:release`). */
  release(to?: string): Promise<void>;
}

/** How many mounted hooks watch each modal, per client: unwatching one must not end another's. */
const modalWatchers = new WeakMap<RealtimeClient, Map<string, number>>();

/**
 * Watches `modalId` (`modal:watch` on mount, `modal:unwatch` on unmount) and, unless `open` is
 * false, opens it for this session while mounted (`modal:open`, closed on unmount); lists who has
 * it open and who holds its lock, live (`modal:opened`, `modal:closed`, `modal:lock`). After every
 * reconnect it watches again (a resumed session kept its watches; a new one starts with none) and
 * asks the server for the modal's state. `undefined` watches nothing.
 */
export function useModalViewers(
  modalId: string | undefined,
  { exclusive, open = true }: { exclusive?: boolean; open?: boolean } = {},
): ModalViewers {
  const client = useRealtimeClient();
  const [viewers, setViewers] = useState<Viewer[]>([]);
  const [lock, setLock] = useState<ModalLock>();
  const [fencingToken, setFencingToken] = useState<number>();
  const [requestedBy, setRequestedBy] = useState<Pick<User, 'id' | 'username'>>();
  const [error, setError] = useState<Error>();
  const apply = useCallback((state: ModalState) => {
    setViewers(state.viewers);
    setLock(state.lock);
    if (state.lock) setFencingToken(state.lock.fencingToken);
  }, []);
  useEffect(() => {
    setViewers([]);
    setLock(undefined);
    setFencingToken(undefined);
    setRequestedBy(undefined);
    setError(undefined);
    if (!modalId) return;
    const counts = modalWatchers.get(client) ?? new Map<string, number>();
    modalWatchers.set(client, counts);
    counts.set(modalId, (counts.get(modalId) ?? 0) + 1);
    const offs = [
      client.on(
        'modal:opened',
        (e) => e.modalId === modalId && setViewers((v) => [...v.filter((x) => x.sessionId !== e.viewer.sessionId), e.viewer]),
      ),
      client.on('modal:closed', (e) => e.modalId === modalId && setViewers((v) => v.filter((x) => x.sessionId !== e.sessionId))),
      client.on('modal:state', (e) => {
        const state = e.modals.find((m) => m.modalId === modalId);
        if (state) apply(state);
      }),
      client.on('modal:lock', (e) => {
        if (e.modalId !== modalId) return;
        // With `requestedBy`: someone asked (the holder stays); without: the lock changed hands.
        setFencingToken(e.fencingToken);
        setRequestedBy(e.requestedBy);
        setLock(e.holder ? { holder: e.holder, fencingToken: e.fencingToken } : undefined);
      }),
    ];
    return () => {
      offs.forEach((off) => off());
      const left = (counts.get(modalId) ?? 1) - 1;
      if (left > 0) counts.set(modalId, left);
      else counts.delete(modalId);
      if (!client.socket.connected) return;
      if (open) client.request('modal:close', { modalId }).catch(() => undefined);
      if (left <= 0) client.request('modal:unwatch', { modalIds: [modalId] }).catch(() => undefined);
    };
  }, [client, modalId, open, apply]);
  useEverySession(client, () => {
    if (!modalId) return;
    client
      .request('modal:watch', { modalIds: [modalId] })
      .then(({ modals }) => {
        const state = modals.find((m) => m.modalId === modalId);
        if (!open) apply(state ?? { modalId, viewers: [] });
        return open ? client.request('modal:open', exclusive ? { modalId, exclusive } : { modalId }).then(apply) : undefined;
      })
      .catch((err: Error) => setError(err));
  }, [modalId, exclusive, open]);
  const request = useCallback(async () => {
    if (modalId) await client.request('modal:request', { modalId });
  }, [client, modalId]);
  const release = useCallback(
    async (to?: string) => {
      if (modalId) await client.request('modal:release', to ? { modalId, to } : { modalId });
    },
    [client, modalId],
  );
  return { viewers, lock, fencingToken, requestedBy, error, request, release };
}

/** A clientMsgId: unique enough per sender (a retry reuses the message, not the id generator). */
function randomId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  return crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
