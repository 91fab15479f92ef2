// An echo client on Node's `ws`, for conformance/tests/peers.rs.
//
//     node ws_echo_client.js URL PERMESSAGE_DEFLATE_JSON
//
// Connects to URL offering permessage-deflate with the given `ws` options,
// prints the server's Sec-WebSocket-Extensions as one JSON line, echoes
// every message (text as text, binary as binary, compressed whatever its
// size), and exits with 0 when the server closes with 1000. Any error, any
// other close code, or LIFETIME_MS without a close exits with another
// status.
'use strict';

const WebSocket = require('ws');

const LIFETIME_MS = 60000;
const [url, options] = process.argv.slice(2);

const ws = new WebSocket(url, { perMessageDeflate: JSON.parse(options) });
let agreed = null;
const timer = setTimeout(() => {
  console.error('no close within', LIFETIME_MS, 'ms');
  process.exit(3);
}, LIFETIME_MS);

ws.on('upgrade', (response) => {
  agreed = response.headers['sec-websocket-extensions'] || '';
});
ws.on('open', () => {
  console.log(JSON.stringify({ version: require('ws/package.json').version, extensions: agreed }));
});
ws.on('message', (data, isBinary) => {
  ws.send(data, { binary: isBinary, compress: true });
});
ws.on('error', (error) => {
  console.error('ws error:', error.message);
  process.exit(2);
});
ws.on('close', (code, reason) => {
  clearTimeout(timer);
  console.log(JSON.stringify({ close: code, reason: reason.toString() }));
  process.exit(code === 1000 ? 0 : 1);
});
