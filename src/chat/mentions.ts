import type { FieldError } from '../contracts';
import { AppError } from '../common/errors/app-error';

/** Mentions a message may carry (the rest of the `@names` stay plain text). */
export const MAX_MENTIONS = 20;

/** `@username` where a username may stand (3–32 of a-z 0-9 _ . -), not inside an e-mail address or a word. */
const MENTION = /(?<![\p{L}\p{N}_.@-])@([a-z0-9_.-]{3,32})(?![a-z0-9_-])/giu;

/**
 * The distinct lower-cased usernames a content names with `@`, in order, at most MAX_MENTIONS.
 * A trailing dot ends a sentence, not a name (`@bob.` names bob).
 */
export function mentionedUsernames(content: string): string[] {
  if (!content.includes('@')) return [];
  const names = new Set<string>();
  for (const match of content.matchAll(MENTION)) {
    const name = match[1].toLowerCase().replace(/\.+$/, '');
    if (name.length >= 3) names.add(name);
    if (names.size === MAX_MENTIONS) break;
  }
  return [...names];
}

/** First 100 characters (code points) of a content, for `replyTo.excerpt`. */
export function excerptOf(content: string): string {
  const chars = [...content];
  return chars.length <= 100 ? content : chars.slice(0, 100).join('');
}

/** Trimmed content, 1–`max` characters (code points, so an emoji counts once): `message:send` and `message:edit`. */
export function normalizeContent(raw: string, max: number): string {
  const content = raw.trim();
  if (content.length === 0) throw contentError('content must not be empty');
  // UTF-16 length is an upper bound of the code point count; count only when it matters.
  if (content.length > max && [...content].length > max) throw contentError(`content must be at most ${max} characters`);
  return content;
}

function contentError(message: string): AppError {
  const details: FieldError[] = [{ field: 'content', errors: [message] }];
  return AppError.invalid(`Invalid payload: content: ${message}`, details);
}
