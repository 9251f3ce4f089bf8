// Verifies SatsMotion's webhook deliveries with the npm `standardwebhooks` package (the Standard Webhooks
// reference verifier), as a receiver would: the raw body, the three headers and the token's whsec_ secret.
import { createRequire } from 'node:module';
import { readInput, respond } from './lib.mjs';

const require = createRequire(import.meta.url);
const { Webhook } = require('standardwebhooks');
const input = await readInput();

const results = input.deliveries.map(({ headers, body }) => {
  try {
    return { ok: true, payload: new Webhook(input.secret).verify(body, headers) };
  } catch (e) {
    return { ok: false, error: String(e.message ?? e) };
  }
});
respond({ results });
