import type { EventHandler } from './types';

export const signal: EventHandler<'signal'> = {
  event: 'signal',
  bucket: 'signal',
  async handle({ socketId, live }, { matchId, data }) {
    await live.relay(socketId, matchId, data);
    return {};
  },
};
