// A NIP-47 wallet service (nostr-tools) and its relay (nostr-relay.mjs), for testing SatsMotion's NWC backend, written
// from NIP-47 (github.com/nostr-protocol/nips, 47.md): info event 13194 with an "encryption" tag, requests 23194,
// replies 23195 tagged ["p", client] and ["e", request id], {result_type, error: {code, message} | null, result}.
// Methods: make_invoice, lookup_invoice, get_info, pay_invoice; errors UNAUTHORIZED (unknown client key), RESTRICTED,
// NOT_IMPLEMENTED, NOT_FOUND, PAYMENT_FAILED, INTERNAL (the wallet's node does not answer). A request whose
// "expiration" tag has passed is ignored, as NIP-47 says.
// The wallet's node is the test's fake (input.ledgerUrl, a small HTTP API of the test's own), so the test can settle
// invoices, take the node down or make it lie.
// lookup_invoice finds the wallet's invoices and, as NIP-47's "type": "outgoing" and state "failed (for payments)" say,
// its payments too.
// input: { ledgerUrl, encryption: "nip44" | "nip04" | "both", legacy: bool (the older NIP-47: NIP-04 only, no "state" field),
//          restricted: [methods this connection may not call], unimplemented: [methods this wallet lacks],
//          hostileRelay: bool (the relay replays every stored reply to every subscription and passes events unchecked),
//          forge: bool (before each reply, publish one with a false result whose signature is not the wallet's),
//          payTimeoutMs: number (a wallet that stops waiting for its node's payment after this long and answers
//            PAYMENT_FAILED, which 47.md allows: "This may be due to a timeout"; the node goes on paying),
//          journal: path of a file to append each exchange to, one JSON line
//            {infoKind, request, requestKind, requestTags, reply, replyKind, replyTags} }
// Prints one JSON line {relayUrl, walletPubkey, clientSecret, nwcUri}, then runs until killed.
import { appendFileSync } from 'node:fs';
import WebSocket from 'ws';
import { generateSecretKey, getPublicKey, finalizeEvent } from 'nostr-tools/pure';
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay';
import * as nip04 from 'nostr-tools/nip04';
import * as nip44 from 'nostr-tools/nip44';

import { readInput } from './lib.mjs';
import { startRelay } from './nostr-relay.mjs';

useWebSocketImplementation(WebSocket);
const input = await readInput();
const relayUrl = await startRelay({ hostile: input.hostileRelay ?? false });

const walletSecret = generateSecretKey();
const walletPubkey = getPublicKey(walletSecret);
const clientSecret = Buffer.from(generateSecretKey()).toString('hex');
const clientPubkey = getPublicKey(Buffer.from(clientSecret, 'hex'));
const service = await Relay.connect(relayUrl);
// The older NIP-47 had NIP-04 only and no "encryption" tag in the info event.
const mode = input.legacy ? 'nip04' : input.encryption ?? 'both';
const methods = ['make_invoice', 'lookup_invoice', 'get_info', 'pay_invoice'].filter((m) => !(input.unimplemented ?? []).includes(m));

class WalletError extends Error {
  constructor(code, message) { super(message); this.code = code; }
}

async function ledger(method, path, body) {
  let response;
  try {
    response = await fetch(new URL(path, input.ledgerUrl), { method, headers: { 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) });
  } catch (e) {
    throw new WalletError('INTERNAL', `the wallet's node does not answer: ${e.cause?.code ?? e.message}`);
  }
  const json = await response.json();
  if (response.status === 404) throw new WalletError('NOT_FOUND', 'invoice not found');
  if (!response.ok) throw new WalletError('PAYMENT_FAILED', json.error ?? `node error ${response.status}`);
  return json;
}

// NIP-47's transaction object for a payment the wallet made.
function payment(p) {
  return {
    type: 'outgoing', invoice: p.invoice, payment_hash: p.payment_hash, preimage: p.preimage ?? undefined, amount: p.amount_msat, fees_paid: p.fees_paid,
    created_at: p.created_at, settled_at: p.settled_at ?? undefined, ...(input.legacy ? {} : { state: p.state }),
  };
}

async function lookup(hash) {
  try {
    return transaction(await ledger('GET', `invoices/${hash}`));
  } catch (e) {
    if (e.code !== 'NOT_FOUND') throw e;
    return payment(await ledger('GET', `payments/${hash}`));
  }
}

// NIP-47's transaction object; "state" only in the newer revision.
function transaction(invoice) {
  const state = invoice.settled_at ? 'settled' : invoice.expires_at <= Date.now() / 1000 ? 'expired' : 'pending';
  return {
    type: 'incoming', invoice: invoice.invoice, description: invoice.description, payment_hash: invoice.payment_hash,
    preimage: invoice.settled_at ? invoice.preimage : undefined, amount: invoice.amount_msat, fees_paid: 0,
    created_at: invoice.created_at, expires_at: invoice.expires_at, settled_at: invoice.settled_at ?? undefined,
    ...(input.legacy ? {} : { state }),
  };
}

const commands = {
  make_invoice: async (p) => transaction(await ledger('POST', 'invoices', { amount_msat: p.amount, description: p.description ?? '', expiry: p.expiry ?? 86400 })),
  lookup_invoice: async (p) => lookup(p.payment_hash),
  get_info: async () => ({ ...(await ledger('GET', 'info')), methods, notifications: [] }),
  pay_invoice: async (p) => {
    const paying = ledger('POST', 'payments', { invoice: p.invoice });
    if (!input.payTimeoutMs) return paying;
    paying.catch(() => {}); // its end is what lookup_invoice shows later
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new WalletError('PAYMENT_FAILED', 'payment timed out')), input.payTimeoutMs));
    return Promise.race([paying, timeout]);
  },
};

async function execute(event, request) {
  if (event.pubkey !== clientPubkey) throw new WalletError('UNAUTHORIZED', 'no wallet is connected to this key');
  if (!methods.includes(request.method)) throw new WalletError('NOT_IMPLEMENTED', `${request.method} is not implemented`);
  if ((input.restricted ?? []).includes(request.method)) throw new WalletError('RESTRICTED', `this connection may not ${request.method}`);
  return commands[request.method](request.params ?? {});
}

async function handle(event) {
  // Any event addressed to the wallet is taken as a request, whatever its kind: the journal records the kind for the
  // test to check against NIP-47 (dropping it here would only show as a timeout). A hostile relay sends everything.
  if (!event.tags.some((t) => t[0] === 'p' && t[1] === walletPubkey)) return;
  const expiration = event.tags.find((t) => t[0] === 'expiration');
  if (expiration && Number(expiration[1]) < Date.now() / 1000) return;
  const usesNip44 = event.tags.some((t) => t[0] === 'encryption' && t[1] === 'nip44_v2');
  if (mode !== 'both' && mode !== (usesNip44 ? 'nip44' : 'nip04')) return;
  const conversationKey = nip44.v2.utils.getConversationKey(walletSecret, event.pubkey);
  const request = JSON.parse(usesNip44 ? nip44.v2.decrypt(event.content, conversationKey) : await nip04.decrypt(walletSecret, event.pubkey, event.content));
  let reply;
  try {
    reply = { result_type: request.method, error: null, result: await execute(event, request) };
  } catch (e) {
    if (!(e instanceof WalletError)) throw e;
    reply = { result_type: request.method, error: { code: e.code, message: e.message }, result: null };
  }
  const encrypt = async (value) => usesNip44 ? nip44.v2.encrypt(JSON.stringify(value), conversationKey) : await nip04.encrypt(walletSecret, event.pubkey, JSON.stringify(value));
  const tags = [['p', event.pubkey], ['e', event.id]];
  if (input.forge) {
    // Content that decrypts, claiming the invoice settled with a preimage of zeros, signed by someone else under the wallet's name.
    const lie = { result_type: request.method, error: null, result: { ...(reply.result ?? {}), state: 'settled', settled_at: 1, preimage: '00'.repeat(32), type: 'incoming' } };
    const forged = finalizeEvent({ kind: 23195, created_at: Math.floor(Date.now() / 1000), tags, content: await encrypt(lie) }, generateSecretKey());
    await service.publish({ ...forged, pubkey: walletPubkey });
  }
  const published = finalizeEvent({ kind: 23195, created_at: Math.floor(Date.now() / 1000), tags, content: await encrypt(reply) }, walletSecret);
  await service.publish(published);
  if (input.journal) {
    const entry = { infoKind: info.kind, request, requestKind: event.kind, requestTags: event.tags, reply, replyKind: published.kind, replyTags: tags };
    appendFileSync(input.journal, JSON.stringify(entry) + '\n');
  }
}

const schemes = { nip44: 'nip44_v2', nip04: 'nip04', both: 'nip44_v2 nip04' }[mode];
const info = finalizeEvent({ kind: 13194, created_at: Math.floor(Date.now() / 1000), tags: input.legacy ? [] : [['encryption', schemes]], content: methods.join(' ') }, walletSecret);
await service.publish(info);
service.subscribe([{ '#p': [walletPubkey] }], { onevent: (event) => handle(event).catch((e) => process.stderr.write(`${e.stack}\n`)) });
const nwcUri = `nostr+walletconnect://${walletPubkey}?relay=${encodeURIComponent(relayUrl)}&secret=${clientSecret}`;
process.stdout.write(JSON.stringify({ relayUrl, walletPubkey, clientSecret, nwcUri }) + '\n');
