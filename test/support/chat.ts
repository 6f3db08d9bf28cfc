import type { Message, Room, User } from '../../src/contracts';
import { connect, registerUser, type TestClient } from './clients';

/** A registered user with some connected tabs. */
export interface ChatUser {
  user: User;
  token: string;
  tabs: TestClient[];
}

/**
 * Keeps track of every client a spec opened so `closeAll()` in afterEach/afterAll can
 * disconnect them.
 */
export class ClientPool {
  private readonly clients: TestClient[] = [];

  constructor(private readonly url: () => string) {}

  async user(tabs = 1): Promise<ChatUser> {
    const { user, token } = await registerUser(this.url());
    return { user, token, tabs: await Promise.all(Array.from({ length: tabs }, () => this.tab(token))) };
  }

  async tab(token: string): Promise<TestClient> {
    const client = await connect(this.url(), token);
    this.clients.push(client);
    // No round trip needed: a socket is in its chat rooms before `session` arrives.
    return client;
  }

  closeAll(): void {
    this.clients.splice(0).forEach((c) => c.close());
  }
}

export async function send(
  client: TestClient,
  payload: { to?: string; roomId?: string; content: string; clientMsgId?: string },
): Promise<Message> {
  return client.ok('message:send', payload);
}

export async function createRoom(
  client: TestClient,
  name: string,
  options: { visibility?: 'public' | 'private'; members?: string[] } = {},
): Promise<Room> {
  return client.ok('room:create', { name, ...options });
}

export function dmId(a: string, b: string): string {
  return a <= b ? `dm:${a}:${b}` : `dm:${b}:${a}`;
}

/** Every `message:new` content a client received so far, in order. */
export function contents(client: TestClient): string[] {
  return client.all('message:new').map((m) => m.content);
}
