/** `conversation:list` takes no fields; any field is refused as unknown. */
export class ConversationListDto {}
