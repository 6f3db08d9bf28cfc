import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import type { Room, RoomInviteResult, RoomJoinResult, RoomLeaveResult, RoomListResult, RoomMembersResult } from '../contracts';
import { OnClientEvent } from '../realtime/client-event.decorator';
import { RealtimeGateway } from '../realtime/realtime-gateway.decorator';
import type { AppSocket } from '../realtime/socket.types';
import { RoomCreateDto, RoomIdDto, RoomInviteDto, RoomListDto } from './dto/room.dto';
import { RoomMembersDto } from './dto/room-members.dto';
import { RoomKickDto, RoomSetRoleDto, RoomUpdateDto } from './dto/room-admin.dto';
import { RoomsService } from './rooms.service';

/** `room:*` events. */
@RealtimeGateway()
export class RoomsGateway {
  constructor(private readonly rooms: RoomsService) {}

  @OnClientEvent('room:create', RoomCreateDto)
  create(@ConnectedSocket() socket: AppSocket, @MessageBody() body: RoomCreateDto): Promise<Room> {
    return this.rooms.create(socket.data.user, body);
  }

  @OnClientEvent('room:list', RoomListDto)
  async list(@ConnectedSocket() socket: AppSocket, @MessageBody() body: RoomListDto): Promise<RoomListResult> {
    return { rooms: await this.rooms.list(socket.data.user, body.scope) };
  }

  @OnClientEvent('room:join', RoomIdDto)
  join(@ConnectedSocket() socket: AppSocket, @MessageBody() body: RoomIdDto): Promise<RoomJoinResult> {
    return this.rooms.join(socket.data.user, socket.id, body.roomId);
  }

  @OnClientEvent('room:members', RoomMembersDto)
  members(@ConnectedSocket() socket: AppSocket, @MessageBody() body: RoomMembersDto): Promise<RoomMembersResult> {
    return this.rooms.members(socket.data.user, body.roomId, body.after, body.limit);
  }

  @OnClientEvent('room:invite', RoomInviteDto)
  invite(@ConnectedSocket() socket: AppSocket, @MessageBody() body: RoomInviteDto): Promise<RoomInviteResult> {
    return this.rooms.invite(socket.data.user, body.roomId, body.userId);
  }

  @OnClientEvent('room:leave', RoomIdDto)
  leave(@ConnectedSocket() socket: AppSocket, @MessageBody() body: RoomIdDto): Promise<RoomLeaveResult> {
    return this.rooms.leave(socket.data.user, socket.id, body.roomId);
  }

  @OnClientEvent('room:update', RoomUpdateDto)
  update(@ConnectedSocket() socket: AppSocket, @MessageBody() body: RoomUpdateDto): Promise<Room> {
    return this.rooms.update(socket.data.user, socket.id, body);
  }

  @OnClientEvent('room:kick', RoomKickDto)
  kick(@ConnectedSocket() socket: AppSocket, @MessageBody() body: RoomKickDto): Promise<Record<string, never>> {
    return this.rooms.kick(socket.data.user, socket.id, body.roomId, body.userId);
  }

  @OnClientEvent('room:set-role', RoomSetRoleDto)
  setRole(@ConnectedSocket() socket: AppSocket, @MessageBody() body: RoomSetRoleDto): Promise<Record<string, never>> {
    return this.rooms.setRole(socket.data.user, body.roomId, body.userId, body.role);
  }

  @OnClientEvent('room:delete', RoomIdDto)
  delete(@ConnectedSocket() socket: AppSocket, @MessageBody() body: RoomIdDto): Promise<Record<string, never>> {
    return this.rooms.delete(socket.data.user, socket.id, body.roomId);
  }
}
