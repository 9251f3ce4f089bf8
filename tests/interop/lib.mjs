// Shared plumbing for the interop scripts: one JSON object in on stdin, one JSON object out on stdout.
export async function readInput() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

export function respond(value) {
  process.stdout.write(JSON.stringify(value));
}

export const hex = (bytes) => Buffer.from(bytes).toString('hex');
