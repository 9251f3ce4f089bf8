// An LNURL-withdraw wallet (LUD-01 decoding with the npm `bech32` package, LUD-03 flow, invoices signed with the
// npm `bolt11` package), written from the LUDs alone, to claim SatsMotion refunds as a real wallet would.
// input: {lnurl, amountMsat?} (default: the maxWithdrawable offered). Output: {url, request, invoice, answer}.
import { createRequire } from 'node:module';
import { randomBytes, createHash } from 'node:crypto';
import { readInput, respond } from './lib.mjs';

const require = createRequire(import.meta.url);
const bech32 = require('bech32'); // v1: decode(text, limit), fromWords(words)
const bolt11 = require('bolt11');
const input = await readInput();

const { prefix, words } = bech32.decode(input.lnurl.toLowerCase(), 2000);
if (prefix !== 'lnurl') throw new Error(`not an lnurl: ${prefix}`);
const url = Buffer.from(bech32.fromWords(words)).toString('utf8');

const request = await (await fetch(url)).json();
if (request.tag !== 'withdrawRequest') {
  respond({ url, request });
  process.exit(0);
}

const amount = input.amountMsat ?? request.maxWithdrawable;
const preimage = randomBytes(32);
const unsigned = bolt11.encode({
  network: { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] },
  millisatoshis: String(amount),
  timestamp: Math.floor(Date.now() / 1000),
  tags: [
    { tagName: 'payment_hash', data: createHash('sha256').update(preimage).digest('hex') },
    { tagName: 'payment_secret', data: randomBytes(32).toString('hex') },
    { tagName: 'description', data: request.defaultDescription ?? '' },
    { tagName: 'expire_time', data: 3600 },
    { tagName: 'feature_bits', data: { word_length: 3, var_onion_optin: { required: true }, payment_secret: { required: true } } },
  ],
}, false);
const invoice = bolt11.sign(unsigned, randomBytes(32).toString('hex')).paymentRequest;

const callback = new URL(request.callback);
callback.searchParams.set('k1', request.k1);
callback.searchParams.set('pr', invoice);
const answer = await (await fetch(callback)).json();
respond({ url, request, invoice, answer });
