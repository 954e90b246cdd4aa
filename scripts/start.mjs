/**
 * `npm start`: builds the extension into a folder to load unpacked, then runs
 * the server (embedded store unless MONGODB_URI is set) in the foreground.
 */
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const build = spawnSync('npx', ['wxt', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const port = process.env.PORT ?? '3000';
console.log(`
  Extension built: load it unpacked from
    ${resolve('.output/chrome-mv3')}
  (chrome://extensions → Developer mode → Load unpacked)
  It talks to http://localhost:${port} (change it in the extension's Settings).
`);

const server = spawn('npx', ['tsx', 'server/main.ts'], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code) => process.exit(code ?? 0));
