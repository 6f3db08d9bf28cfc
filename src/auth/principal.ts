import type { User } from '../contracts';

/** Who a request or a socket is, as the AuthGuard established it from a token. */
export interface Principal {
  user: User;
  /** The login the token belongs to (own tokens); absent for identity-provider tokens. */
  authSessionId?: string;
  /** Token expiry, epoch milliseconds. */
  expiresAt: number;
}
