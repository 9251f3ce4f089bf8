// Alby's fetchWithL402 (a real, independent L402 client) pays for a call to a running SatsMotion server,
// with a wallet that pays through the server's dev node (POST /api/dev/pay).
import { fetchWithL402 } from '@getalby/lightning-tools';
import { readInput, respond } from './lib.mjs';

const input = await readInput();
const paid = [];
const wallet = {
  async payInvoice({ invoice }) {
    paid.push(invoice);
    const response = await fetch(input.payUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ invoice }),
    });
    if (!response.ok) throw new Error(`dev wallet refused: ${response.status} ${await response.text()}`);
    return { preimage: (await response.json()).preimage };
  },
};

const response = await fetchWithL402(input.url, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: input.body,
}, { wallet });
respond({
  status: response.status,
  json: await response.json(),
  paidInvoices: paid.length,
  paymentPaid: response.payment?.paid ?? null,
  amountSat: response.payment?.amountSat ?? null,
});
