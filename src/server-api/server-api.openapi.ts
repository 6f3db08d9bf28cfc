/** The OpenAPI security scheme of the `/server/v1/*` routes: one of SERVER_API_KEYS as a bearer token. */
export const SERVER_KEY_SCHEME = 'serverKey';

export const SERVER_KEY_SCHEME_DEFINITION = {
  type: 'http',
  scheme: 'bearer',
  description: 'One of SERVER_API_KEYS (for the application’s own backend; never give it to a browser).',
} as const;
