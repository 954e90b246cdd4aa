// A Tabcall client written from docs/protocol.md alone, with none of the
// extension's code: a plain page, the browser's RTCPeerConnection and
// socket.io-client's browser bundle. It deliberately sends each description's
// ICE candidates BEFORE the description itself (the document allows it; other
// WebRTC stacks do it), and can restart ICE. The end-to-end test drives it
// through window.reference.
/* global io */

const CHAT_LIMIT = 500;

/** Everything the test may want to look at. */
const seen = { messages: [], sent: [], received: [], events: [], errors: [] };
let socket;
let pc;
let channel;
let match;
let stream;
// Perfect negotiation state (docs/protocol.md, "Offers and answers").
let makingOffer = false;
let ignoreOffer = false;
/** The generation being gathered resolves when its end-of-candidates (null) comes. */
let gathered;
let signals = Promise.resolve();

/** Runs signaling steps one at a time, in order, like the extension. */
function inOrder(step) {
  signals = signals.then(step).catch((error) => seen.errors.push(String(error)));
  return signals;
}

function log(kind, detail) {
  seen.events.push({ kind, detail, at: performance.now() });
}

function emit(event, payload) {
  return new Promise((resolve) => socket.emit(event, payload, resolve));
}

async function signal(data) {
  seen.sent.push('description' in data ? `description:${data.description.type}` : data.candidate ? 'candidate' : 'end-of-candidates');
  const ack = await emit('signal', { matchId: match.matchId, data });
  if (!ack.ok) seen.errors.push(ack.error);
}

/** Connects with the extension's transport settings: websocket only, an install id of our own. */
async function connect(serverUrl) {
  // The camera first, so a match can be answered at once.
  stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  socket = io(serverUrl, { transports: ['websocket'], auth: { installId: crypto.randomUUID() }, reconnection: false });
  socket.on('match:found', (found) => {
    try {
      onMatch(found);
    } catch (error) {
      seen.errors.push(String(error));
    }
  });
  socket.on('signal', ({ matchId, data }) => {
    if (matchId !== match?.matchId) return;
    void inOrder(() => onSignal(data));
  });
  socket.on('match:ended', (ended) => {
    log('match:ended', ended.reason);
    hangUp();
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
}

function onMatch(found) {
  match = found;
  log('match:found', found.role);
  pc = new RTCPeerConnection({ iceServers: found.iceServers, iceTransportPolicy: found.iceTransportPolicy, bundlePolicy: 'max-bundle' });
  // The same hook the extension's offscreen document exposes, so the tests' stats helpers read both.
  window.tabcall = { peer: pc };
  pc.onicecandidate = ({ candidate }) => {
    if (!candidate) {
      void signal({ candidate: null });
      gathered?.resolve();
      return;
    }
    const { candidate: line, sdpMid, sdpMLineIndex, usernameFragment } = candidate;
    void signal({ candidate: { candidate: line, sdpMid, sdpMLineIndex, usernameFragment } });
  };
  pc.onconnectionstatechange = () => log('connection', pc.connectionState);
  // Play what the stranger sends (a browser computes received audio energy only for audio it plays).
  pc.ontrack = ({ track }) => {
    const player = document.getElementById(track.kind);
    player.srcObject ??= new MediaStream();
    player.srcObject.addTrack(track);
  };
  // The chat channel: negotiated, label "chat", id 0, on both sides.
  channel = pc.createDataChannel('chat', { negotiated: true, id: 0 });
  channel.onopen = () => {
    log('channel', 'open');
    send({ type: 'media', camera: true, mic: true });
  };
  channel.onmessage = ({ data }) => onPeerMessage(data);
  if (found.role === 'offerer') {
    // One audio and one video transceiver, then the channel: audio, video, application.
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    void inOrder(() => offer());
  }
}

/** Only text frames carrying exactly one of the four messages are read. */
function onPeerMessage(data) {
  if (typeof data !== 'string') return;
  let message;
  try {
    message = JSON.parse(data);
  } catch {
    return;
  }
  seen.messages.push(message);
  if (message.type === 'chat') send({ type: 'ack', id: message.id });
}

function send(message) {
  if (channel?.readyState !== 'open') return false;
  channel.send(JSON.stringify(message));
  return true;
}

/** Only the codecs the document says must work: Opus and VP8 (with VP8's retransmissions). */
function mustWorkCodecsOnly() {
  for (const transceiver of pc.getTransceivers()) {
    const kind = transceiver.receiver.track.kind;
    const keep = kind === 'audio' ? ['audio/opus'] : ['video/vp8', 'video/rtx'];
    const codecs = RTCRtpReceiver.getCapabilities(kind).codecs.filter((c) => keep.includes(c.mimeType.toLowerCase()));
    transceiver.setCodecPreferences(codecs);
  }
}

/**
 * Sets a local description, sends its candidates as they are gathered, and only
 * then the description, without candidate lines: candidates first, on purpose.
 */
async function describe(create, { gathers }) {
  mustWorkCodecsOnly();
  const description = await create();
  gathered = gathers ? Promise.withResolvers() : undefined;
  await pc.setLocalDescription(description);
  await gathered?.promise;
  // Without candidate lines (they went ahead), and with LF line endings, which the document allows.
  const sdp = description.sdp.replace(/^a=candidate:.*\r?\n/gm, '').replace(/\r\n/g, '\n');
  await signal({ description: { type: description.type, sdp } });
}

async function offer({ iceRestart = false } = {}) {
  makingOffer = true;
  try {
    await describe(() => pc.createOffer({ iceRestart }), { gathers: true });
  } finally {
    makingOffer = false;
  }
}

async function onSignal(data) {
  if (data.description) {
    const { description } = data;
    const collision = description.type === 'offer' && (makingOffer || pc.signalingState !== 'stable');
    ignoreOffer = !match.polite && collision;
    if (ignoreOffer) return log('ignored-offer');
    const previousUfrag = ufragOf(pc.remoteDescription);
    // The polite side rolls back its own offer (setRemoteDescription does it implicitly).
    await pc.setRemoteDescription(description);
    log('remote-description', description.type);
    if (description.type === 'offer') {
      if (match.role === 'answerer' && !pc.getSenders().some((s) => s.track)) {
        // Reuse the offer's transceivers for our camera and microphone.
        for (const transceiver of pc.getTransceivers()) {
          const track = stream.getTracks().find((t) => t.kind === transceiver.receiver.track.kind);
          if (track) {
            await transceiver.sender.replaceTrack(track);
            transceiver.sender.setStreams(stream);
            transceiver.direction = 'sendrecv';
          }
        }
        return describe(() => pc.createAnswer(), { gathers: true });
      }
      // A later offer: the answer gathers again only when the offer restarts ICE (a new ufrag).
      return describe(() => pc.createAnswer(), { gathers: ufragOf(description) !== previousUfrag });
    }
  } else if (data.candidate !== undefined) {
    seen.received.push(data.candidate?.candidate ?? null);
    try {
      await pc.addIceCandidate(data.candidate ?? undefined);
    } catch (error) {
      if (!ignoreOffer) throw error;
    }
  }
}

function ufragOf(description) {
  return /a=ice-ufrag:(\S+)/.exec(description?.sdp ?? '')?.[1];
}

function hangUp() {
  channel?.close();
  pc?.close();
  for (const player of document.querySelectorAll('audio, video')) player.srcObject = null;
  pc = undefined;
  channel = undefined;
  match = undefined;
}

window.reference = {
  seen,
  connect,
  join: () => emit('queue:join', {}),
  leave: async () => {
    const ack = await emit('queue:leave', {});
    hangUp();
    return ack;
  },
  /** Sends a chat message; resolves false if the channel is not open. */
  chat: (id, text) => send({ type: 'chat', id, text: text.slice(0, CHAT_LIMIT) }),
  restartIce: () => inOrder(() => offer({ iceRestart: true })),
  /** Sends what the document says is dropped: a binary frame, frames that are not exactly a message, an in-band channel's. */
  sendJunk() {
    channel.send(new Uint8Array([123, 125]));
    for (const frame of ['not json', '{"type":"chat","id":"j1","text":"junk extra key","html":"<b>"}', JSON.stringify({ type: 'chat', id: 'j2', text: 'x'.repeat(CHAT_LIMIT + 1) }), '{"type":"chat","id":"","text":"junk empty id"}']) {
      channel.send(frame);
    }
    const inBand = pc.createDataChannel('chat');
    return new Promise((resolve) => {
      inBand.onopen = () => {
        inBand.send(JSON.stringify({ type: 'chat', id: 'j3', text: 'junk in band' }));
        resolve();
      };
    });
  },
  connectionState: () => pc?.connectionState,
  /** The ICE username fragment of the local description now in use. */
  localUfrag: () => ufragOf(pc?.localDescription),
  matchRole: () => match?.role,
};
