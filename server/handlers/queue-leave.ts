import type { EventHandler } from './types';

export const queueLeave: EventHandler<'queue:leave'> = {
  event: 'queue:leave',
  bucket: 'queue',
  async handle({ socketId, live }) {
    return { state: await live.leave(socketId) };
  },
};
