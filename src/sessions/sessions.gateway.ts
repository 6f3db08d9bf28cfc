import { ConnectedSocket, MessageBody, SubscribeMessage, type OnGatewayConnection, type OnGatewayDisconnect } from '@nestjs/websockets';
import type { SessionRefreshResult } from '../contracts';
import { RealtimeGateway } from '../realtime/realtime-gateway.decorator';
import type { AppSocket } from '../realtime/socket.types';
import { SessionRefreshDto } from './dto/session-refresh.dto';
import { SessionsService } from './sessions.service';

@RealtimeGateway()
export class SessionsGateway implements OnGatewayConnection, OnGatewayDisconnect {
  constructor(private readonly sessions: SessionsService) {}

  handleConnection(socket: AppSocket): void {
    void this.sessions.connect(socket);
  }

  handleDisconnect(socket: AppSocket): void {
    void this.sessions.disconnect(socket);
  }

  @SubscribeMessage('session:refresh')
  refresh(@ConnectedSocket() socket: AppSocket, @MessageBody() body: SessionRefreshDto): SessionRefreshResult {
    return this.sessions.refresh(socket, body.token);
  }
}
