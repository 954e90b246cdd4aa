import type { EventHandler } from './types';

export const queueNext: EventHandler<'queue:next'> = {
  event: 'queue:next',
  bucket: 'queue',
  handle({ socketId, matchmaker }) {
    const state = matchmaker.next(socketId);
    const { online, waiting } = matchmaker.stats();
    return { state: state === 'matched' ? 'matched' : 'waiting', stats: { online, waiting } };
  },
};
