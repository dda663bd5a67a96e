// One group message sent and read through the public API of whatever protocol module is
// passed in (the source here, a browser bundle in a child process): the message bytes,
// the plaintext and the reader's record, for browser-bundle.spec.ts to compare.
// Plain CommonJS so that both jest and a child `node` process load it as it is.
module.exports = function senderKeyTranscript(p) {
  const random = p.deterministicRandom('bundle transcript');
  const group = new Uint8Array(16).fill(3);
  const own = p.createOwnSenderKey(group, random, 0);
  const distribution = p.createSenderKeyDistribution(own);
  const peer = p.processSenderKeyDistribution(undefined, group, distribution, 0);
  const message = p.encryptSenderKeyMessage(own, p.utf8.encode('hello from a bundle'));
  const plaintext = p.utf8.decode(p.decryptSenderKeyMessage(peer, message));
  return `${p.toHex(message)} ${plaintext} ${p.toHex(p.serializeSenderKeyState(peer))}`;
};
