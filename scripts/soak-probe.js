'use strict';
/**
 * Preload for the soak run (`node --expose-gc -r ./scripts/soak-probe.js dist/main.js`). Changes
 * nothing in the server; on 127.0.0.1:SOAK_PROBE_PORT it answers
 *   GET /mem        gc twice, then process.memoryUsage()
 *   GET /resources  gc twice, then active resources by type (sockets, …), live timers (ref'd or
 *                   not) and the number of event listeners on every live EventEmitter
 * Emitters are remembered through WeakRefs when they first get a listener, so the probe holds
 * nothing alive itself.
 */
const http = require('node:http');
const { EventEmitter } = require('node:events');

const port = Number(process.env.SOAK_PROBE_PORT);
if (port > 0) {
  const seen = new WeakSet();
  let emitters = [];
  for (const method of ['on', 'addListener', 'prependListener', 'once', 'prependOnceListener']) {
    const original = EventEmitter.prototype[method];
    EventEmitter.prototype[method] = function tracked(...args) {
      if (!seen.has(this)) {
        seen.add(this);
        emitters.push(new WeakRef(this));
      }
      return original.apply(this, args);
    };
  }

  // Unref'd timers do not show in getActiveResourcesInfo(), so every timer is tracked here;
  // Node marks a Timeout `_destroyed` once it fired (one-shot) or was cleared.
  let timers = [];
  const timersModule = require('node:timers');
  for (const name of ['setTimeout', 'setInterval']) {
    const original = global[name];
    const tracked = function trackedTimer(...args) {
      const timer = original.apply(this, args);
      if (timer && typeof timer === 'object') timers.push(new WeakRef(timer));
      return timer;
    };
    global[name] = tracked;
    timersModule[name] = tracked;
  }
  const liveTimers = () => {
    timers = timers.filter((ref) => {
      const timer = ref.deref();
      return timer !== undefined && !timer._destroyed;
    });
    return timers.length;
  };

  const collect = () => {
    if (typeof global.gc !== 'function') return false;
    global.gc();
    global.gc();
    return true;
  };

  const listenerCount = () => {
    let listeners = 0;
    const alive = [];
    for (const ref of emitters) {
      const emitter = ref.deref();
      if (!emitter) continue;
      alive.push(ref);
      for (const name of emitter.eventNames()) listeners += emitter.listenerCount(name);
    }
    emitters = alive;
    return { emitters: alive.length, listeners };
  };

  const resources = () => {
    const byType = {};
    for (const type of process.getActiveResourcesInfo()) byType[type] = (byType[type] || 0) + 1;
    return { byType, timers: liveTimers(), handles: process._getActiveHandles().length, ...listenerCount() };
  };

  const server = http.createServer((req, res) => {
    let body;
    if (req.url === '/mem') body = { gc: collect(), ...process.memoryUsage() };
    else if (req.url === '/resources') body = { gc: collect(), ...resources() };
    else return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify(body));
  });
  server.on('error', (error) => process.emitWarning(`soak-probe: ${error.message}`));
  server.listen(port, '127.0.0.1');
  server.unref();
}
