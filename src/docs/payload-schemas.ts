import type { ClientEventName, JsonSchema } from '../contracts';
import { handledEvents } from '../realtime/client-event.decorator';
import { dtoSchema } from '../common/http/dto-schema';

/**
 * The payload schema of a client event: the class-validator rules of the DTO its gateway method
 * declared with `@OnClientEvent`, so the documented limits are the enforced ones. The gateways
 * must have been loaded (the application module imports them all).
 */
export function payloadSchema(event: ClientEventName): JsonSchema {
  const dto = handledEvents().get(event);
  if (!dto) throw new Error(`no gateway handles "${event}"; its payload cannot be documented`);
  return dtoSchema(dto);
}

/** Every event a gateway handles. */
export function documentedPayloads(): ClientEventName[] {
  return [...handledEvents().keys()];
}
