import Ajv, { type ValidateFunction } from 'ajv';
import { buildAsyncApiDocument, channelId } from './contract';

/**
 * Validates real traffic against the AsyncAPI document's schemas (ajv), so the documented
 * shapes and the ones the server sends cannot drift apart unnoticed.
 */
export class ContractValidator {
  private readonly ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  private readonly cache = new Map<string, ValidateFunction>();

  constructor() {
    this.ajv.addSchema(buildAsyncApiDocument({ host: 'localhost', version: 'test' }), 'asyncapi');
  }

  private validator(message: string): ValidateFunction {
    let validate = this.cache.get(message);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `asyncapi#/components/messages/${message}/payload` });
      this.cache.set(message, validate);
    }
    return validate;
  }

  /** Problems with a server event's payload, [] when it matches. */
  checkEvent(event: string, payload: unknown): string[] {
    return this.check(`${channelId(event)}Event`, payload);
  }

  /** Problems with an ack envelope of a client event. */
  checkAck(event: string, ack: unknown): string[] {
    return this.check(`${channelId(event)}Ack`, ack);
  }

  /** Problems with a client event's payload. */
  checkRequest(event: string, payload: unknown): string[] {
    return this.check(`${channelId(event)}Request`, payload);
  }

  private check(message: string, value: unknown): string[] {
    const validate = this.validator(message);
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${message}${e.instancePath} ${e.message}`);
  }
}
