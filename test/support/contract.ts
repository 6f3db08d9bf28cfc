// The gateways register their payload DTOs (`@OnClientEvent`) as their classes load, and the
// application module imports every gateway: loading it (without starting an app) is enough for
// the documents to be built here exactly as /asyncapi serves them.
import '../../src/app.module';

export { documentedPayloads, payloadSchema } from '../../src/docs/payload-schemas';
export { buildAsyncApiDocument, channelId } from '../../src/docs/asyncapi';
