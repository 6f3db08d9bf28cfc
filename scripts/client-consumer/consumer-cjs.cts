// The same package from CommonJS: `require` resolves its CJS build, with the same exports.
import client = require('@realtime-backend/client');

if (typeof client.createClient !== 'function' || typeof client.RealtimeError !== 'function' || !client.ERROR_REASONS) {
  throw new Error('the CommonJS build lacks createClient, RealtimeError or ERROR_REASONS');
}
console.log('client package (CJS): require ok');
