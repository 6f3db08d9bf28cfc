import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiDtoBody, ApiErrors, model } from '../common/http/openapi.decorators';
import type { Message, Presence, User } from '../contracts';
import type { ModalState } from '../contracts';
import { DisconnectDto } from './dto/disconnect.dto';
import { MintTokenDto } from './dto/mint-token.dto';
import { ProvisionUserDto } from './dto/provision-user.dto';
import { PublishDto } from './dto/publish.dto';
import { ServerMessageDto } from './dto/server-message.dto';
import { SERVER_KEY_SCHEME } from './server-api.openapi';
import { ServerApiService, type RoomOccupancy } from './server-api.service';

const object = (properties: Record<string, unknown>, required = Object.keys(properties)) =>
  ({ type: 'object', required, properties }) as never;

/**
 * The app backend's API. Every path under /server/v1 passes ServerKeyMiddleware first (404
 * while SERVER_API_KEYS is unset, 401 without a key), so nothing here checks keys itself.
 */
@ApiTags('server')
@ApiBearerAuth(SERVER_KEY_SCHEME)
@ApiErrors('UNAUTHORIZED')
@Controller('server/v1')
export class ServerApiController {
  constructor(private readonly server: ServerApiService) {}

  @Post('publish')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Emit `app:event` { event, data, publishedAt } to users and rooms',
    description:
      'Every socket of the named users and of the named rooms’ members gets it once, on every instance. `data` is any JSON up to 32 KiB.',
  })
  @ApiDtoBody(PublishDto)
  @ApiOkResponse({ schema: object({ published: { const: true } }) })
  @ApiErrors('BAD_REQUEST', 'PAYLOAD_TOO_LARGE')
  publish(@Body() body: PublishDto): { published: true } {
    return this.server.publish(body);
  }

  @Post('messages')
  @ApiOperation({
    summary: 'Send a message as a user or as the system user',
    description:
      'Stored and delivered exactly as that user’s `message:send` (the same rules, `clientMsgId` idempotency and `message:new`). ' +
      'Without `from`, the system user (id `system`) sends; it may post to any existing room.',
  })
  @ApiDtoBody(ServerMessageDto)
  @ApiCreatedResponse({ schema: model('Message') })
  @ApiErrors('BAD_REQUEST', 'FORBIDDEN', 'NOT_FOUND')
  sendMessage(@Body() body: ServerMessageDto): Promise<Message> {
    return this.server.sendMessage(body);
  }

  @Post('users')
  @ApiOperation({
    summary: 'Provision a user (no password; sign in with minted tokens)',
    description:
      'Idempotent on `externalId`: the user provisioned with it is returned again (201). 409 when the username belongs to someone else.',
  })
  @ApiDtoBody(ProvisionUserDto)
  @ApiCreatedResponse({ schema: model('User') })
  @ApiErrors('BAD_REQUEST', 'CONFLICT')
  provision(@Body() body: ProvisionUserDto): Promise<User> {
    return this.server.provision(body);
  }

  @Delete('users/:id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a user',
    description:
      'Their sockets get `session:expired` { reason: "deleted" } and are disconnected on every instance; their tokens are refused; ' +
      'they leave every room; their messages stay, with `from.username` "[deleted]"; the username is free again.',
  })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiErrors('NOT_FOUND')
  async deleteUser(@Param('id') id: string): Promise<void> {
    await this.server.deleteUser(id);
  }

  @Post('users/:id/disconnect')
  @HttpCode(200)
  @ApiOperation({ summary: 'Disconnect a user’s sockets (or one session’s) on every instance' })
  @ApiDtoBody(DisconnectDto)
  @ApiOkResponse({ schema: object({ disconnected: { type: 'integer', minimum: 0 } }) })
  @ApiErrors('BAD_REQUEST', 'NOT_FOUND')
  disconnect(@Param('id') id: string, @Body() body: DisconnectDto): Promise<{ disconnected: number }> {
    return this.server.disconnect(id, body.sessionId);
  }

  @Post('tokens')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mint an access token for a user (as `/auth/login` would issue)' })
  @ApiDtoBody(MintTokenDto)
  @ApiOkResponse({ schema: object({ accessToken: { type: 'string' }, expiresIn: { type: 'integer' } }) })
  @ApiErrors('BAD_REQUEST', 'NOT_FOUND')
  mintToken(@Body() body: MintTokenDto): Promise<{ accessToken: string; expiresIn: number }> {
    return this.server.mintToken(body.userId, body.expiresIn);
  }

  @Get('users/:id/presence')
  @ApiOperation({ summary: 'A user’s true presence (`invisible` shows as such)' })
  @ApiOkResponse({ schema: model('Presence') })
  @ApiErrors('NOT_FOUND')
  presence(@Param('id') id: string): Promise<Presence> {
    return this.server.presenceOf(id);
  }

  @Get('rooms/:id')
  @ApiOperation({
    summary: 'A room with how many of its members are connected',
    description: '`onlineCount`: members with a socket open (invisible ones included).',
  })
  @ApiOkResponse({
    schema: object({ room: model('Room'), onlineCount: { type: 'integer', minimum: 0 }, memberCount: { type: 'integer', minimum: 0 } }),
  })
  @ApiErrors('NOT_FOUND')
  room(@Param('id') id: string): Promise<RoomOccupancy> {
    return this.server.room(id);
  }

  @Get('modals/:modalId')
  @ApiOperation({ summary: 'Who has a modal open, and who holds it exclusively (`lock`)' })
  @ApiOkResponse({
    schema: object(
      { modalId: { type: 'string' }, viewers: { type: 'array', items: model('Viewer') }, lock: object({ holder: model('Viewer') }) },
      ['modalId', 'viewers'],
    ),
  })
  modal(@Param('modalId') modalId: string): Promise<ModalState> {
    return this.server.modal(modalId);
  }
}
