import { searchAck, type EventHandler } from './types';

export const queueNext: EventHandler<'queue:next'> = {
  event: 'queue:next',
  bucket: 'queue',
  handle({ socketId, matchmaker }) {
    const state = matchmaker.next(socketId);
    return searchAck(matchmaker, state);
  },
};
