import { normaliseInterests } from '../../shared/interests';
import { searchAck, type EventHandler } from './types';

export const queueJoin: EventHandler<'queue:join'> = {
  event: 'queue:join',
  bucket: 'queue',
  async handle({ socketId, live }, { interests }) {
    const state = await live.join(socketId, interests && normaliseInterests(interests));
    return searchAck(live, state);
  },
};
