/**
 * With TURN configured, neither side may learn the other's address: only
 * relay candidates are relayed. A host, server-reflexive or peer-reflexive
 * candidate is refused, and such candidate lines are removed from SDP.
 */
import type { SignalData } from '../../shared/protocol';
import { MatchmakerError } from './matchmaker';

const candidateType = (line: string) => /\btyp\s+(\w+)/.exec(line)?.[1];

export function keepRelayOnly(data: SignalData): SignalData {
  if ('candidate' in data) {
    const line = data.candidate?.candidate ?? '';
    // An empty candidate is the end-of-candidates marker: it carries no address.
    if (line !== '' && candidateType(line) !== 'relay') {
      throw new MatchmakerError('relay_only', 'This server relays calls through TURN: only relay candidates are accepted.');
    }
    return data;
  }
  const sdp = data.description.sdp
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate:') || candidateType(line) === 'relay')
    .join('\r\n');
  return { description: { ...data.description, sdp } };
}
