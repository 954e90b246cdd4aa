import type { EventHandler } from './types';

export const signal: EventHandler<'signal'> = {
  event: 'signal',
  bucket: 'signal',
  handle({ socketId, matchmaker }, { matchId, data }) {
    matchmaker.relay(socketId, matchId, data);
    return {};
  },
};
