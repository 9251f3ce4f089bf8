// A Nostr relay for tests: @nostr-relay/core with an in-memory store, served over ws on loopback. Every EVENT's id
// and BIP-340 signature is checked with nostr-tools before the relay sees it (NIP-01's OK false "invalid:" otherwise).
import { NostrRelay } from '@nostr-relay/core';
import { EventRepository } from '@nostr-relay/common';
import { WebSocketServer } from 'ws';
import { verifyEvent } from 'nostr-tools/pure';

class MemoryRepository extends EventRepository {
  events = [];
  isSearchSupported() { return false; }
  upsert(event) { this.events.push(event); return { isDuplicate: false }; }
  find(filter) { return this.events.filter((e) => (!filter.kinds || filter.kinds.includes(e.kind))); }
  async destroy() {}
}

/** Starts the relay; resolves to its ws:// URL. */
export async function startRelay() {
  const relay = new NostrRelay(new MemoryRepository());
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (socket) => {
    relay.handleConnection(socket);
    socket.on('message', async (data) => {
      const message = JSON.parse(data.toString());
      if (message[0] === 'EVENT' && !verifyEvent(message[1])) {
        socket.send(JSON.stringify(['OK', message[1]?.id ?? '', false, 'invalid: bad id or signature']));
        return;
      }
      await relay.handleMessage(socket, message);
    });
    socket.on('close', () => relay.handleDisconnect(socket));
  });
  await new Promise((resolve) => server.on('listening', resolve));
  return `ws://127.0.0.1:${server.address().port}`;
}
