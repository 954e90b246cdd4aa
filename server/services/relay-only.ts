/**
 * With TURN configured, neither side may learn the other's address: only
 * relay candidates are relayed. A host, server-reflexive or peer-reflexive
 * candidate is refused, and such candidate lines are removed from SDP.
 */
import type { SignalData } from '../../shared/protocol';
import { MatchmakerError } from './matchmaker';

/**
 * Whether a candidate line (`candidate:…`, or `a=candidate:…` in SDP) is a relay
 * candidate, read the way RFC 8839 lays it out: foundation, component, transport,
 * priority, address, port, then `typ` and the type, separated by single spaces.
 * Anything that does not parse that way (a tab, a stray CR) counts as not relay.
 */
const isRelay = (line: string) => {
  if (/[^\S ]/.test(line)) return false;
  const fields = line.split(' ');
  return fields[6] === 'typ' && fields[7] === 'relay';
};

/** Browsers end SDP lines with CRLF; Chromium also accepts LF alone. */
const CANDIDATE_LINE = /^a=candidate:/;

export function keepRelayOnly(data: SignalData): SignalData {
  if ('candidate' in data) {
    const line = data.candidate?.candidate ?? '';
    // An empty candidate is the end-of-candidates marker: it carries no address.
    if (line !== '' && !isRelay(line)) {
      throw new MatchmakerError('relay_only', 'This server relays calls through TURN: only relay candidates are accepted.');
    }
    return data;
  }
  // Split after each LF so every line keeps its own ending (CRLF, LF, or none at the end).
  const sdp = data.description.sdp
    .split(/(?<=\n)/)
    .filter((line) => {
      const text = line.replace(/\r?\n$/, '');
      return !CANDIDATE_LINE.test(text) || isRelay(text);
    })
    .join('');
  return { description: { ...data.description, sdp } };
}
