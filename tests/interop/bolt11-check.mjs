// Decodes SatsMotion invoices with the npm `bolt11` package (which recovers the signer from the
// signature), and signs invoices with it for SatsMotion to decode.
import { createRequire } from 'node:module';
import { readInput, respond } from './lib.mjs';

const require = createRequire(import.meta.url);
const bolt11 = require('bolt11');
const input = await readInput();
const tag = (decoded, name) => decoded.tags.find((t) => t.tagName === name)?.data;

if (input.action === 'decode') {
  const decoded = bolt11.decode(input.invoice);
  respond({
    network: decoded.network?.bech32,
    millisatoshis: decoded.millisatoshis,
    timestamp: decoded.timestamp,
    payeeNodeKey: decoded.payeeNodeKey,
    paymentHash: tag(decoded, 'payment_hash'),
    paymentSecret: tag(decoded, 'payment_secret'),
    description: tag(decoded, 'description'),
    expireTime: tag(decoded, 'expire_time'),
    signature: decoded.signature,
    recoveryFlag: decoded.recoveryFlag,
  });
} else if (input.action === 'sign') {
  const unsigned = bolt11.encode({
    network: { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] },
    millisatoshis: String(input.millisatoshis),
    timestamp: input.timestamp,
    tags: [
      { tagName: 'payment_hash', data: input.paymentHash },
      { tagName: 'payment_secret', data: input.paymentSecret },
      { tagName: 'description', data: input.description },
      { tagName: 'expire_time', data: input.expireTime },
      { tagName: 'feature_bits', data: { word_length: 3, var_onion_optin: { required: true }, payment_secret: { required: true } } },
    ],
  }, false);
  const signed = bolt11.sign(unsigned, input.privateKeyHex);
  respond({ invoice: signed.paymentRequest, payeeNodeKey: signed.payeeNodeKey });
} else {
  throw new Error(`unknown action ${input.action}`);
}
