/**
 * React binding (`@realtime-backend/client/react`): a provider for a client the app created,
 * and hooks for the connection, a user's presence, a conversation's messages and who has a
 * modal open. Each hook subscribes on mount and unsubscribes on unmount; after a reconnect it
 * asks the server again, so what it shows is the server's state.
 */
import { createContext, createElement, useCallback, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import type { Message, Presence, Viewer } from '../../../src/contracts/models';
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
  send(content: string): Promise<Message>;
}

/**
 * A direct conversation (`{ to: userId }`) or a room's (`{ roomId }`, which the user has joined):
 * its recent history and every new message, deduplicated by id.
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
    return client.on('message:new', (m) => m.conversationId === conversationId && merge([m]));
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
    async (content: string) => {
      const payload = to ? { to, content } : { roomId: roomId!, content };
      const message = await client.request('message:send', { ...payload, clientMsgId: randomId() });
      merge([message]);
      return message;
    },
    [client, to, roomId, merge],
  );
  return { conversationId, messages, loading, error, send };
}

export interface ModalViewers {
  /** Everybody with the modal open, this session included; empty until it is open. */
  viewers: Viewer[];
  error: Error | undefined;
}

/**
 * Opens `modalId` for this session while the component is mounted (`modal:open`, closed on
 * unmount) and lists who has it open, live. `undefined` opens nothing.
 */
export function useModalViewers(modalId: string | undefined, { exclusive }: { exclusive?: boolean } = {}): ModalViewers {
  const client = useRealtimeClient();
  const [viewers, setViewers] = useState<Viewer[]>([]);
  const [error, setError] = useState<Error>();
  useEffect(() => {
    setViewers([]);
    setError(undefined);
    if (!modalId) return;
    const offs = [
      client.on(
        'modal:opened',
        (e) => e.modalId === modalId && setViewers((v) => [...v.filter((x) => x.sessionId !== e.viewer.sessionId), e.viewer]),
      ),
      client.on('modal:closed', (e) => e.modalId === modalId && setViewers((v) => v.filter((x) => x.sessionId !== e.sessionId))),
      client.on('modal:state', (e) => {
        const state = e.modals.find((m) => m.modalId === modalId);
        if (state) setViewers(state.viewers);
      }),
    ];
    return () => {
      offs.forEach((off) => off());
      if (client.socket.connected) client.request('modal:close', { modalId }).catch(() => undefined);
    };
  }, [client, modalId]);
  useEverySession(client, () => {
    if (!modalId) return;
    client
      .request('modal:open', exclusive ? { modalId, exclusive } : { modalId })
      .then((state) => setViewers(state.viewers))
      .catch((err: Error) => setError(err));
  }, [modalId, exclusive]);
  return { viewers, error };
}

/** A clientMsgId: unique enough per sender (a retry reuses the message, not the id generator). */
function randomId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  return crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
