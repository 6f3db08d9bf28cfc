import { applyDecorators, UseFilters, UsePipes } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { PayloadValidationPipe } from '../common/validation/validation.pipe';
import { WsExceptionFilter } from './ws-exception.filter';

/**
 * Every gateway is declared with this: the default namespace on the HTTP port, payload
 * validation and the error envelope. Global pipes and filters do not reach gateways, so they
 * are attached here once. Server options (CORS, transports, limits) come from the adapter.
 */
export const RealtimeGateway = (): ClassDecorator =>
  applyDecorators(WebSocketGateway(), UsePipes(PayloadValidationPipe), UseFilters(WsExceptionFilter));
