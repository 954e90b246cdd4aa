import { searchAck, type EventHandler } from './types';

export const queueNext: EventHandler<'queue:next'> = {
  event: 'queue:next',
  bucket: 'queue',
  async handle({ socketId, live }) {
    const state = await live.next(socketId);
    return searchAck(live, state);
  },
};
