import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import type { UserBlocksResult } from '../contracts';
import { OnClientEvent } from '../realtime/client-event.decorator';
import { RealtimeGateway } from '../realtime/realtime-gateway.decorator';
import type { AppSocket } from '../realtime/socket.types';
import { UserBlockDto, UserBlocksDto } from './dto/user-block.dto';
import { BlocksService } from './blocks.service';

/** `user:block`, `user:unblock`, `user:blocks` (blocking is a chat rule: who may message whom). */
@RealtimeGateway()
export class BlocksGateway {
  constructor(private readonly blocks: BlocksService) {}

  @OnClientEvent('user:block', UserBlockDto)
  block(@ConnectedSocket() socket: AppSocket, @MessageBody() body: UserBlockDto): Promise<Record<string, never>> {
    return this.blocks.block(socket.data.user, body.userId);
  }

  @OnClientEvent('user:unblock', UserBlockDto)
  unblock(@ConnectedSocket() socket: AppSocket, @MessageBody() body: UserBlockDto): Promise<Record<string, never>> {
    return this.blocks.unblock(socket.data.user, body.userId);
  }

  @OnClientEvent('user:blocks', UserBlocksDto)
  list(@ConnectedSocket() socket: AppSocket, @MessageBody() body: UserBlocksDto): Promise<UserBlocksResult> {
    return this.blocks.list(socket.data.user, body.after, body.limit);
  }
}
