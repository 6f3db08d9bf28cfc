import { Injectable } from '@nestjs/common';
import type { FieldError, MessageSearchPayload, MessageSearchResult, User } from '../contracts';
import { AppError } from '../common/errors/app-error';
import { AccessService } from '../access/access.service';
import { toMessage } from './chat.mapper';
import { MessageSearchRepository } from './message-search.repository';
import { SearchIndexer } from './search-indexer';

export const DEFAULT_SEARCH_LIMIT = 20;
/** Results one search pages through at most (deeper pages: refine the query). */
export const MAX_SEARCH_DEPTH = 500;
/** Words of a query that count (the rest are ignored). */
export const MAX_SEARCH_TERMS = 8;

/** The words of a query: runs of letters and digits, lower-cased, at most MAX_SEARCH_TERMS. Everything else separates. */
export function searchTerms(query: string): string[] {
  const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words.map((w) => w.slice(0, 64)))].slice(0, MAX_SEARCH_TERMS);
}

/**
 * `message:search`: best match first (then newest), in conversations the caller may read now.
 * A user who left a room (or was removed) finds nothing of it any more, not even what they saw
 * while a member: search answers what `message:history` would show them today.
 */
@Injectable()
export class MessageSearchService {
  constructor(
    private readonly search: MessageSearchRepository,
    private readonly access: AccessService,
    private readonly indexer: SearchIndexer,
  ) {}

  async find(user: User, input: MessageSearchPayload): Promise<MessageSearchResult> {
    const terms = searchTerms(input.query);
    const limit = input.limit ?? DEFAULT_SEARCH_LIMIT;
    const offset = input.before ? Number(input.before) : 0;
    if (offset + limit > MAX_SEARCH_DEPTH) {
      const details: FieldError[] = [{ field: 'before', errors: [`search pages end after ${MAX_SEARCH_DEPTH} results`] }];
      throw AppError.invalid(`Invalid payload: before: search pages end after ${MAX_SEARCH_DEPTH} results`, details);
    }
    if (input.conversationId !== undefined) await this.access.requireConversation(user.id, input.conversationId);
    if (!terms.length) return { results: [], hasMore: false };
    await this.indexer.catchUp();
    const { rows, hasMore } = await this.search.search(user.id, { terms, conversationId: input.conversationId, offset, limit });
    const result: MessageSearchResult = { results: rows.map(toMessage), hasMore: hasMore && offset + limit < MAX_SEARCH_DEPTH };
    if (result.hasMore) result.next = String(offset + limit);
    return result;
  }
}
