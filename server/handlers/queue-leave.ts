import type { EventHandler } from './types';

export const queueLeave: EventHandler<'queue:leave'> = {
  event: 'queue:leave',
  bucket: 'queue',
  handle({ socketId, matchmaker }) {
    return { state: matchmaker.leave(socketId) };
  },
};
