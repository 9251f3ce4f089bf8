// A Nostr relay for tests: @nostr-relay/core with an in-memory store, served over ws on loopback. Every EVENT's id
// and BIP-340 signature is checked with nostr-tools before the relay sees it (NIP-01's OK false "invalid:" otherwise).
// With { hostile: true } it is a relay that cannot be trusted: it checks nothing, keeps every event (ephemeral ones
// too) and sends all of them, whatever the filter asked, to every new subscription and to every subscriber.
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
export async function startRelay({ hostile = false } = {}) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  if (hostile) {
    startHostile(server);
    await new Promise((resolve) => server.on('listening', resolve));
    return `ws://127.0.0.1:${server.address().port}`;
  }
  const relay = new NostrRelay(new MemoryRepository());
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

function startHostile(server) {
  const events = [];
  const subscriptions = new Map(); // socket -> subscription ids
  const deliver = (socket, id, event) => socket.send(JSON.stringify(['EVENT', id, event]));
  server.on('connection', (socket) => {
    subscriptions.set(socket, new Set());
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString());
      if (message[0] === 'EVENT') {
        const event = message[1];
        events.push(event);
        socket.send(JSON.stringify(['OK', event.id, true, '']));
        for (const [peer, ids] of subscriptions) for (const id of ids) deliver(peer, id, event);
      } else if (message[0] === 'REQ') {
        subscriptions.get(socket).add(message[1]);
        for (const event of events) deliver(socket, message[1], event);
        socket.send(JSON.stringify(['EOSE', message[1]]));
      } else if (message[0] === 'CLOSE') {
        subscriptions.get(socket).delete(message[1]);
      }
    });
    socket.on('close', () => subscriptions.delete(socket));
  });
}
