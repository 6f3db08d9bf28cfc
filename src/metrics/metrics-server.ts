import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectConfig, type AppConfig } from '../config/config.module';
import { listenError } from '../common/errors/startup-error';
import { scrapeAllowed } from './metrics-access';
import { MetricsService } from './metrics.service';

/**
 * METRICS_PORT: /metrics on a port of its own (for a network the public never reaches), and not
 * on PORT. A bare node:http server: nothing else of the app answers there.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: Server;
  private readonly logger = new Logger('Metrics');

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  /** The bound port (METRICS_PORT=0 in tests picks a free one). */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { metricsPort, metricsToken } = this.config.ops;
    if (metricsPort === undefined) return;
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?', 1)[0];
      if (req.method !== 'GET' || path !== '/metrics') {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'Not found' } }));
        return;
      }
      if (!scrapeAllowed(metricsToken, req.headers.authorization)) {
        res
          .writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' })
          .end(JSON.stringify({ error: { code: 'UNAUTHORIZED', reason: 'AUTH_REQUIRED', message: 'Authentication required' } }));
        return;
      }
      this.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text),
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(listenError('METRICS_PORT', this.config.host, metricsPort, error)));
      server.listen(metricsPort, this.config.host, () => resolve());
    });
    this.server = server;
    this.logger.log(`metrics on port ${this.port} (/metrics)`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
