import { SubscribeMessage } from '@nestjs/websockets';
import type { ClientEventMap, ClientEventName } from '../contracts';

type Awaitable<T> = T | Promise<T>;

/** A class-validator DTO whose instances are the event's payload (so a DTO that drifts from the contract does not compile). */
export type PayloadDto<E extends ClientEventName> = new () => ClientEventMap[E]['payload'];

const payloadDtos = new Map<ClientEventName, new () => object>();

/**
 * The payload DTO of every event a gateway handles, registered by `@OnClientEvent` as the gateway
 * classes load. The docs read their payload schemas from here, so they never import a feature.
 */
export function handledEvents(): ReadonlyMap<ClientEventName, new () => object> {
  return payloadDtos;
}

/**
 * Declares a gateway method as the handler of a client event, typed against the contract: the
 * event name must be in `ClientEventMap`, the DTO must produce its payload, and the method must
 * return (a promise of) its ack data. The DTO is what the validation pipe checks and what the
 * AsyncAPI document shows, so the documented limits are the enforced ones.
 */
export function OnClientEvent<E extends ClientEventName>(event: E, payload: PayloadDto<E>) {
  const known = payloadDtos.get(event);
  if (known && known !== payload) throw new Error(`"${event}" is handled twice (${known.name} and ${payload.name})`);
  payloadDtos.set(event, payload);
  const subscribe = SubscribeMessage(event);
  return <H extends (...args: never[]) => Awaitable<ClientEventMap[E]['result']>>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<H>,
  ): void => {
    subscribe(target, key, descriptor);
  };
}
