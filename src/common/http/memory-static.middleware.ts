import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { NextFunction, Request, Response } from 'express';

/** Content types of what the demo page consists of; anything else is served as bytes. */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};
/** Bound of what is held in memory; the demo page and the socket.io client are ~270 KB together. */
const MAX_TOTAL_BYTES = 8 * 1024 * 1024;

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
  lastModified: string;
}

/**
 * Static files read once at start and answered from memory.
 *
 * serve-static in front of the routes runs for every request and `fs.stat`s a path first; that
 * stat needs libuv's threadpool, so while the pool was busy (scrypt under a login flood) every
 * `GET /health` and `GET /users/me` waited behind it. A map lookup here never touches the file
 * system; what is not in the map goes on to the routes at once. Same headers as serve-static
 * (`Cache-Control: public, max-age=0`, `Last-Modified`, an ETag, so revalidation answers 304).
 */
export class MemoryStaticFiles {
  private readonly files = new Map<string, StaticFile>();
  private totalBytes = 0;

  /** Every file under `dir` at `prefix` + its relative path; `index.html` also at its directory's path. */
  addDirectory(dir: string, prefix = '/'): this {
    const walk = (current: string) => {
      for (const entry of readdirSync(current, { withFileTypes: true })) {
        const path = join(current, entry.name);
        if (entry.isDirectory()) walk(path);
        if (!entry.isFile()) continue;
        const url = prefix + relative(dir, path).split(sep).join('/');
        this.addFile(url, path);
        if (entry.name === 'index.html') this.addFile(url.slice(0, -'index.html'.length), path);
      }
    };
    walk(dir);
    return this;
  }

  addFile(url: string, path: string): this {
    const body = readFileSync(path);
    this.totalBytes += body.length;
    if (this.totalBytes > MAX_TOTAL_BYTES) throw new Error(`static files over ${MAX_TOTAL_BYTES} bytes; serve them from a CDN instead`);
    this.files.set(url, {
      body,
      type: TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
      etag: `"${createHash('sha1').update(body).digest('base64url')}"`,
      lastModified: statSync(path).mtime.toUTCString(),
    });
    return this;
  }

  get paths(): string[] {
    return [...this.files.keys()];
  }

  /** Express middleware: answers GET/HEAD of a known path, passes everything else on untouched. */
  middleware() {
    return (req: Request, res: Response, next: NextFunction): void => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return next();
      const file = this.files.get(req.path);
      if (!file) return next();
      res.setHeader('Content-Type', file.type);
      res.setHeader('Cache-Control', 'public, max-age=0');
      res.setHeader('Last-Modified', file.lastModified);
      // With the ETag set, res.send does not hash the body again and answers 304 when the request is fresh.
      res.setHeader('ETag', file.etag);
      res.send(file.body);
    };
  }
}
