// Checks SatsMotion macaroons with the npm `macaroon` package (a go-macaroon compatible implementation),
// and mints macaroons with it for SatsMotion to read.
import { createRequire } from 'node:module';
import { readInput, respond, hex } from './lib.mjs';

const require = createRequire(import.meta.url);
const macaroon = require('macaroon');
const input = await readInput();

if (input.action === 'verify') {
  const m = macaroon.importMacaroon(input.macaroon);
  const accepted = new Set(input.acceptCaveats ?? []);
  let error = null;
  try {
    m.verify(Buffer.from(input.rootKeyHex, 'hex'), (condition) => (accepted.has(condition) ? null : `caveat not accepted: ${condition}`));
  } catch (e) {
    error = String(e.message ?? e);
  }
  respond({
    ok: error === null,
    error,
    location: m.location,
    identifierHex: hex(m.identifier),
    caveats: m.caveats.map((c) => Buffer.from(c.identifier).toString('utf8')),
    signatureHex: hex(m.signature),
  });
} else if (input.action === 'mint') {
  const m = macaroon.newMacaroon({
    identifier: Buffer.from(input.identifierHex, 'hex'),
    location: input.location,
    rootKey: Buffer.from(input.rootKeyHex, 'hex'),
    version: 2,
  });
  for (const caveat of input.caveats) m.addFirstPartyCaveat(caveat);
  respond({ macaroon: Buffer.from(m.exportBinary()).toString('base64'), signatureHex: hex(m.signature) });
} else {
  throw new Error(`unknown action ${input.action}`);
}
