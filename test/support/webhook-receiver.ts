import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { WebhookBody, WebhookEventType } from '../../src/contracts';
import { DEFAULT_WAIT_MS } from './clients';

export interface Delivery {
  headers: IncomingHttpHeaders;
  raw: string;
  body: WebhookBody;
  /** The status the receiver answered. */
  status: number;
}

/**
 * A real webhook receiver on 127.0.0.1: records every request and answers what `respond` says
 * (default 200), so a test can make it fail on purpose and wait for deliveries.
 */
export class WebhookReceiver {
  readonly deliveries: Delivery[] = [];
  respond: (body: WebhookBody, attempt: number) => number = () => 200;
  private waiters: (() => void)[] = [];

  private readonly server: Server;

  private constructor() {
    this.server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (raw += chunk));
      req.on('end', () => {
        const body = JSON.parse(raw) as WebhookBody;
        const attempt = this.deliveries.filter((d) => d.body.id === body.id).length + 1;
        const status = this.respond(body, attempt);
        this.deliveries.push({ headers: req.headers, raw, body, status });
        res.writeHead(status).end();
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
  }

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** Successful deliveries of `type` matching `match`. */
  succeeded<T extends WebhookEventType>(type: T, match: (body: WebhookBody<T>) => boolean = () => true): WebhookBody<T>[] {
    return this.deliveries
      .filter((d) => d.status < 300 && d.body.type === type && match(d.body as WebhookBody<T>))
      .map((d) => d.body as WebhookBody<T>);
  }

  /** Resolves with the first delivery `until` accepts (already received or arriving in time). */
  async waitFor(until: (d: Delivery) => boolean, timeoutMs = DEFAULT_WAIT_MS * 3): Promise<Delivery> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.deliveries.find(until);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `no matching webhook within ${timeoutMs} ms; got: ${this.deliveries.map((d) => `${d.body.type}/${d.status}`).join(', ')}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The first successful delivery of `type` that matches. */
  success<T extends WebhookEventType>(
    type: T,
    match: (body: WebhookBody<T>) => boolean = () => true,
    timeoutMs?: number,
  ): Promise<Delivery> {
    return this.waitFor((d) => d.status < 300 && d.body.type === type && match(d.body as WebhookBody<T>), timeoutMs);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Verifies a delivery the way a receiver would (README): throws when the signature is wrong. */
export function verify(secret: string, delivery: Delivery): unknown {
  const webhook = secret.startsWith('whsec_') ? new Webhook(secret) : new Webhook(secret, { format: 'raw' });
  return webhook.verify(delivery.raw, delivery.headers as Record<string, string>);
}
