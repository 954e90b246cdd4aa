/** Benchmark child: the PeerJS server (npm `peer`), installed on demand into bench/.peerjs. */
import { createRequire } from 'node:module';
import { serveBenchChild } from './child.mjs';

const require = createRequire(new URL('../.peerjs/', import.meta.url));
const { PeerServer } = require('peer');

serveBenchChild(
  () =>
    new Promise((resolve) => {
      const server = PeerServer({ port: 0, host: '127.0.0.1', path: '/', key: 'peerjs', allow_discovery: false }, (http) => {
        resolve(http.address().port);
      });
      void server;
    }),
);
