/**
 * A start-up failure an operator fixes outside the code: a dependency that does not answer or a
 * port that is taken. main.ts prints `message` as one line (no stack) and exits non-zero.
 */
export class DependencyUnavailableError extends Error {
  constructor(
    /** What failed: `database`, `redis`, `PORT`, `METRICS_PORT`. */
    readonly dependency: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DependencyUnavailableError';
  }
}

/** The driver's code or message, short: `ECONNREFUSED`, `password authentication failed ...`. */
export function causeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code)) return code;
  const aggregate = (error as { errors?: unknown[] } | null)?.errors;
  if (Array.isArray(aggregate) && aggregate.length) return causeOf(aggregate[0]);
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n', 1)[0].slice(0, 200);
}

/** A URL without its password, for a log line. */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}

/** `listen` failed: in use, not allowed, or an address this host does not have. */
export function listenError(
  variable: 'PORT' | 'METRICS_PORT',
  host: string | undefined,
  port: number,
  error: unknown,
): DependencyUnavailableError {
  const code = causeOf(error);
  const where = `${host ?? '*'}:${port}`;
  const hint =
    code === 'EADDRINUSE'
      ? `port ${port} is taken by another process: stop it or set ${variable} to a free port`
      : code === 'EACCES'
        ? `port ${port} needs privileges: use a port above 1023`
        : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND'
          ? `this host has no address ${host}: check HOST`
          : `check ${variable} and HOST`;
  return new DependencyUnavailableError(variable, `cannot listen on ${where} (${code}): ${hint}`, { cause: error });
}
