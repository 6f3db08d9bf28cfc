'use strict';
/**
 * Preload for the benchmarked servers (`node --expose-gc -r ./bench/memory-probe.js <server>`).
 * It changes nothing in the server; when BENCH_PROBE_PORT is set it opens a tiny side HTTP server
 * on 127.0.0.1:BENCH_PROBE_PORT:
 *
 *   GET /mem    runs gc() twice (needs --expose-gc), then answers process.memoryUsage()
 *   GET /stats  { cpu: process.cpuUsage() (µs), frames, frameBytes, mem } without a gc
 *
 * `frames` counts every WebSocket frame the server writes (engine.io packets incl. pings and
 * pre-encoded broadcast frames): it wraps `Sender.prototype.sendFrame` of the `ws` copy that
 * engine.io loads, the one function every outgoing frame goes through when per-message deflate
 * is off. The probe's own requests cost a few hundred µs of CPU each; scenarios call it only
 * before and after a measured phase.
 */
const http = require('node:http');
const path = require('node:path');

const port = Number(process.env.BENCH_PROBE_PORT);
if (port > 0) {
  let frames = 0;
  let frameBytes = 0;
  try {
    const engineIo = require.resolve('engine.io', { paths: [process.cwd()] });
    const wsPath = require.resolve('ws', { paths: [path.dirname(engineIo)] });
    const Sender = require(wsPath).Sender;
    const original = Sender.prototype.sendFrame;
    Sender.prototype.sendFrame = function countedSendFrame(list, cb) {
      frames++;
      for (let i = 0; i < list.length; i++) frameBytes += list[i].length;
      return original.call(this, list, cb);
    };
  } catch (error) {
    process.emitWarning(`memory-probe: cannot count ws frames (${error && error.message})`);
  }

  const collect = () => {
    if (typeof global.gc !== 'function') return false;
    global.gc();
    global.gc();
    return true;
  };

  const server = http.createServer((req, res) => {
    let body;
    if (req.url === '/mem') {
      const gc = collect();
      body = { gc, ...process.memoryUsage() };
    } else if (req.url === '/stats') {
      body = { cpu: process.cpuUsage(), frames, frameBytes, mem: process.memoryUsage(), uptime: process.uptime() };
    } else {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  server.on('error', (error) => process.emitWarning(`memory-probe: ${error.message}`));
  server.listen(port, '127.0.0.1');
  server.unref();
}
