// NIP-44 v2 with nostr-tools: decrypts what SatsMotion encrypted, and encrypts for SatsMotion to decrypt.
import * as nip44 from 'nostr-tools/nip44';
import { getPublicKey } from 'nostr-tools/pure';
import { readInput, respond } from './lib.mjs';

const input = await readInput();
const secret = Uint8Array.from(Buffer.from(input.secretHex, 'hex'));
const key = nip44.v2.utils.getConversationKey(secret, input.peerHex);
respond({
  pubkey: getPublicKey(secret),
  conversationKeyHex: Buffer.from(key).toString('hex'),
  decrypted: input.payload ? nip44.v2.decrypt(input.payload, key) : null,
  encrypted: nip44.v2.encrypt(input.plaintext, key),
});
