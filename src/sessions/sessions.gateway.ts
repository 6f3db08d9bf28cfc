import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import type { SessionRefreshResult } from '../contracts';
import { OnClientEvent } from '../realtime/client-event.decorator';
import { RealtimeGateway } from '../realtime/realtime-gateway.decorator';
import type { AppSocket } from '../realtime/socket.types';
import { SessionRefreshDto } from './dto/session-refresh.dto';
import { SessionsService } from './sessions.service';

@RealtimeGateway()
export class SessionsGateway {
  constructor(private readonly sessions: SessionsService) {}

  @OnClientEvent('session:refresh', SessionRefreshDto)
  refresh(@ConnectedSocket() socket: AppSocket, @MessageBody() body: SessionRefreshDto): Promise<SessionRefreshResult> {
    return this.sessions.refresh(socket, body.token);
  }
}
