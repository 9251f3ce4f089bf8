// A Nostr relay (@nostr-relay/core, in-memory, over ws) and a NIP-47 wallet service written with nostr-tools,
// for testing SatsMotion's Nostr Wallet Connect client. The service pays through a SatsMotion dev node.
// input.encryption: "nip44" (only NIP-44 v2), "nip04" (only NIP-04) or "both"; requests in another scheme are ignored,
// so a paid request proves which scheme the client chose. Prints one JSON line {relayUrl, walletPubkey,
// clientSecret, nwcUri}, then runs until killed.
import WebSocket from 'ws';
import { generateSecretKey, getPublicKey, finalizeEvent } from 'nostr-tools/pure';
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay';
import * as nip04 from 'nostr-tools/nip04';
import * as nip44 from 'nostr-tools/nip44';

import { readInput } from './lib.mjs';
import { startRelay } from './nostr-relay.mjs';

useWebSocketImplementation(WebSocket);
const input = await readInput();

const relayUrl = await startRelay();

const walletSecret = generateSecretKey();
const walletPubkey = getPublicKey(walletSecret);
const clientSecret = Buffer.from(generateSecretKey()).toString('hex');
const paid = new Map();
const service = await Relay.connect(relayUrl);

const mode = input.encryption ?? 'both';
const accepts = (scheme) => mode === 'both' || mode === scheme;

async function handle(event) {
  const usesNip44 = event.tags.some((t) => t[0] === 'encryption' && t[1] === 'nip44_v2');
  if (!accepts(usesNip44 ? 'nip44' : 'nip04')) return;
  const conversationKey = nip44.v2.utils.getConversationKey(walletSecret, event.pubkey);
  const request = JSON.parse(usesNip44 ? nip44.v2.decrypt(event.content, conversationKey) : await nip04.decrypt(walletSecret, event.pubkey, event.content));
  let reply;
  if (request.method === 'pay_invoice') {
    const response = await fetch(input.devPayUrl, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ invoice: request.params.invoice }) });
    const json = await response.json();
    if (response.ok) {
      paid.set(json.payment_hash, json.preimage);
      reply = { result_type: 'pay_invoice', result: { preimage: json.preimage } };
    } else {
      reply = { result_type: 'pay_invoice', error: { code: 'PAYMENT_FAILED', message: json.error } };
    }
  } else if (request.method === 'lookup_invoice') {
    const preimage = paid.get(request.params.payment_hash);
    reply = preimage
      ? { result_type: 'lookup_invoice', result: { payment_hash: request.params.payment_hash, preimage, settled_at: Math.floor(Date.now() / 1000) } }
      : { result_type: 'lookup_invoice', error: { code: 'NOT_FOUND', message: 'no such payment' } };
  } else {
    reply = { result_type: request.method, error: { code: 'NOT_IMPLEMENTED', message: request.method } };
  }
  const content = usesNip44 ? nip44.v2.encrypt(JSON.stringify(reply), conversationKey) : await nip04.encrypt(walletSecret, event.pubkey, JSON.stringify(reply));
  await service.publish(finalizeEvent({ kind: 23195, created_at: Math.floor(Date.now() / 1000), tags: [['p', event.pubkey], ['e', event.id]], content }, walletSecret));
}

// NIP-47 info event: what this wallet does, and which encryption it speaks.
const schemes = { nip44: 'nip44_v2', nip04: 'nip04', both: 'nip44_v2 nip04' }[mode];
await service.publish(finalizeEvent({ kind: 13194, created_at: Math.floor(Date.now() / 1000), tags: [['encryption', schemes]], content: 'pay_invoice lookup_invoice' }, walletSecret));
service.subscribe([{ kinds: [23194], '#p': [walletPubkey] }], { onevent: (event) => handle(event).catch((e) => process.stderr.write(`${e}\n`)) });
const nwcUri = `nostr+walletconnect://${walletPubkey}?relay=${encodeURIComponent(relayUrl)}&secret=${clientSecret}`;
process.stdout.write(JSON.stringify({ relayUrl, walletPubkey, clientSecret, nwcUri }) + '\n');
