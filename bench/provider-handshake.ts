import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { SignJWT } from 'jose';
import type { BenchUser } from './load';

const ISSUER = 'https://bench-idp.invalid';
const AUDIENCE = 'realtime-bench';
const KID = 'bench-rsa-1';

/**
 * The `handshake-rs256` scenario: the same handshakes as `handshake`, with RS256 tokens of an
 * identity provider (a JWKS served from this process) instead of the service's own HS256 ones.
 * The bench users get `external_id = sub`, so the run measures verification, not just-in-time
 * user creation (that happens once per user).
 */
export class ProviderBench {
  private constructor(
    private readonly server: Server,
    private readonly keys: { publicKey: KeyObject; privateKey: KeyObject },
  ) {}

  static async start(): Promise<ProviderBench> {
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...keys.publicKey.export({ format: 'jwk' }), kid: KID, alg: 'RS256', use: 'sig' };
    const server = createServer((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new ProviderBench(server, keys);
  }

  /** The service's environment for trusting this provider. */
  get env(): NodeJS.ProcessEnv {
    const { port } = this.server.address() as AddressInfo;
    return { JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWT_ALGORITHMS: 'RS256' };
  }

  /** Marks the bench users as the provider's (in the service's database) and writes their RS256 tokens next to `usersFile`. */
  async users(dbPath: string, usersFile: string): Promise<string> {
    const users = JSON.parse(readFileSync(usersFile, 'utf8')) as BenchUser[];
    const db = new Database(dbPath);
    db.pragma('busy_timeout = 10000');
    const mark = db.prepare('update users set external_id = ? where id = ?');
    db.transaction(() => users.forEach((u) => mark.run(`idp|${u.id}`, u.id)))();
    db.close();
    const now = Math.floor(Date.now() / 1000);
    const signed = await Promise.all(
      users.map(async (u) => ({
        ...u,
        token: await new SignJWT({ preferred_username: u.username })
          .setProtectedHeader({ alg: 'RS256', kid: KID })
          .setSubject(`idp|${u.id}`)
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setIssuedAt(now)
          .setExpirationTime(now + 3600)
          .sign(this.keys.privateKey),
      })),
    );
    const file = usersFile.replace(/\.json$/, '-rs256.json');
    writeFileSync(file, JSON.stringify(signed));
    return file;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
