import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { WsParamtype } from '@nestjs/websockets/enums/ws-paramtype.enum';
import { validatePayload } from './validate-payload';

const PRIMITIVES: unknown[] = [String, Boolean, Number, Array, Object, Buffer, Date];

/**
 * One validation pipe for REST bodies/queries and socket.io payloads. Nest's stock
 * ValidationPipe would also try to validate `@ConnectedSocket()` arguments in gateways and
 * answers WS clients with "Internal server error"; this one only touches payloads and throws
 * the catalogue's BAD_REQUEST.
 */
@Injectable()
export class PayloadValidationPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const { metatype } = metadata;
    const type = metadata.type as unknown;
    const isPayload = type === 'body' || type === 'query' || type === WsParamtype.PAYLOAD;
    if (!isPayload || !metatype || PRIMITIVES.includes(metatype)) return value;
    return validatePayload(metatype as new () => object, value);
  }
}
