import type { ClientEventName } from '../../shared/protocol';
import { queueJoin } from './queue-join';
import { queueLeave } from './queue-leave';
import { queueNext } from './queue-next';
import { report } from './report';
import { sessionResume } from './session-resume';
import { signal } from './signal';
import type { EventHandler } from './types';

/** Exactly one handler per client event of the protocol (the type checks it). */
export const HANDLERS: { [E in ClientEventName]: EventHandler<E> } = {
  'queue:join': queueJoin,
  'queue:next': queueNext,
  'queue:leave': queueLeave,
  signal,
  report,
  'session:resume': sessionResume,
};
