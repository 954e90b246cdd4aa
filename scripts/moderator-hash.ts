/** `npm run -s moderator-hash`: reads a password on standard input, prints its scrypt hash on one line (for MODERATORS). */
import { hashPassword } from '../server/moderation/password';

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
// One trailing newline is the end of the line typed or echoed, not part of the password.
const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
if (password.length < 8) {
  console.error('moderator-hash: give a password of at least 8 characters on standard input');
  process.exit(2);
}
console.log(await hashPassword(password));
