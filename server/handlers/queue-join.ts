import { normaliseInterests } from '../../shared/interests';
import { searchAck, type EventHandler } from './types';

export const queueJoin: EventHandler<'queue:join'> = {
  event: 'queue:join',
  bucket: 'queue',
  handle({ socketId, matchmaker }, { interests }) {
    const state = matchmaker.join(socketId, interests && normaliseInterests(interests));
    return searchAck(matchmaker, state);
  },
};
