import { normaliseInterests } from '../../shared/interests';
import type { EventHandler } from './types';

export const queueJoin: EventHandler<'queue:join'> = {
  event: 'queue:join',
  bucket: 'queue',
  handle({ socketId, matchmaker }, { interests }) {
    const state = matchmaker.join(socketId, interests && normaliseInterests(interests));
    const { online, waiting } = matchmaker.stats();
    return { state: state === 'matched' ? 'matched' : 'waiting', stats: { online, waiting } };
  },
};
