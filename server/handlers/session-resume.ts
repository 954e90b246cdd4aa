import type { EventHandler } from './types';

/** Puts this connection back in the call its token proves; held signals follow the ack. */
export const sessionResume: EventHandler<'session:resume'> = {
  event: 'session:resume',
  bucket: 'queue',
  async handle({ socketId, live, afterAck }, { token }) {
    const { ack, deliver } = await live.resume(socketId, token);
    if (deliver) afterAck(deliver);
    return ack;
  },
};
