import { Webhook } from 'standardwebhooks';

/**
 * Standard Webhooks signing (the `standardwebhooks` package). A `whsec_<base64>` secret is used
 * as the Standard Webhooks tooling does (the key is the decoded bytes); any other WEBHOOK_SECRET
 * is the key as it is (`format: "raw"`: its characters as bytes, so keep it ASCII). Receivers
 * construct `Webhook` the same way (README).
 */
export function webhookSigner(secret: string): Webhook {
  return secret.startsWith('whsec_') ? new Webhook(secret) : new Webhook(secret, { format: 'raw' });
}

/** The three headers of one delivery. */
export function signedHeaders(signer: Webhook, eventId: string, body: string, at = new Date()): Record<string, string> {
  return {
    'content-type': 'application/json',
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signer.sign(eventId, at, body),
  };
}
