// Independent MPP clients buy a video from a running SatsMotion server, paying through its dev node
// (POST /api/dev/pay): mppx (the reference SDK, given the Lightning charge method it does not ship) or Alby's
// fetchWithMpp / fetch402. Each answer's Payment-Receipt is read with mppx's own receipt schema.
import { createHash } from 'node:crypto';
import { Method, Credential, Receipt, z } from 'mppx';
import { Mppx } from 'mppx/client';
import { fetchWithMpp, fetch402 } from '@getalby/lightning-tools';
import { readInput, respond } from './lib.mjs';

const input = await readInput();
const paid = [];
const preimages = [];
async function pay(invoice) {
  paid.push(invoice);
  const response = await fetch(input.payUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ invoice }),
  });
  if (!response.ok) throw new Error(`dev wallet refused: ${response.status} ${await response.text()}`);
  const { preimage } = await response.json();
  preimages.push(preimage);
  return preimage;
}

// The Lightning charge method (draft-lightning-charge-00): request {amount, currency, methodDetails{invoice}}, payload {preimage}.
const lightningCharge = Method.from({
  name: 'lightning',
  intent: 'charge',
  schema: {
    credential: { payload: z.object({ preimage: z.string() }) },
    request: z.object({
      amount: z.string(),
      currency: z.string(),
      methodDetails: z.object({ invoice: z.string(), paymentHash: z.optional(z.string()), network: z.optional(z.string()) }),
    }),
  },
});

const challenges = [];
const lightning = Method.toClient(lightningCharge, {
  async createCredential({ challenge }) {
    challenges.push(challenge);
    return Credential.serialize({ challenge, payload: { preimage: await pay(challenge.request.methodDetails.invoice) } });
  },
});

const request = { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: input.body };
const wallet = { async payInvoice({ invoice }) { return { preimage: await pay(invoice) }; } };
let response;
switch (input.client) {
  case 'mppx':
    // One paid attempt: a second 402 must not make it pay again.
    response = await Mppx.create({ methods: [lightning], polyfill: false, maxPaymentRetries: 1 }).fetch(input.url, request);
    break;
  case 'fetchWithMpp':
    response = await fetchWithMpp(input.url, request, { wallet });
    break;
  case 'fetch402':
    response = await fetch402(input.url, request, { wallet });
    break;
  default:
    throw new Error(`unknown client ${input.client}`);
}

let receipt = null;
let receiptError = null;
try {
  receipt = Receipt.fromResponse(response);
} catch (error) {
  receiptError = String(error.message ?? error);
}

// Alby returns the credential it sent; the challenge id it echoed is inside.
const sent = response.payment?.credentials?.value;
const echoedId = sent?.startsWith('Payment ') ? JSON.parse(Buffer.from(sent.slice(8), 'base64url').toString('utf8')).challenge.id : null;

respond({
  status: response.status,
  json: await response.json(),
  cacheControl: response.headers.get('cache-control'),
  paidInvoices: paid.length,
  credentialScheme: response.payment?.credentials?.value?.split(' ')[0] ?? (challenges.length ? 'Payment' : null),
  challengeId: challenges[0]?.id ?? echoedId,
  receipt,
  receiptError,
  paymentHash: preimages.length ? createHash('sha256').update(Buffer.from(preimages[0], 'hex')).digest('hex') : null,
  preimage: preimages[0] ?? null,
});
