// Reads a job's event stream with the npm `eventsource` client (the WHATWG EventSource for Node), as a
// caller's script would: every named event until the stream's terminal status, then closes.
import { EventSource } from 'eventsource';
import { readInput, respond } from './lib.mjs';

const input = await readInput();
const events = [];
const headers = input.lastEventId ? { 'Last-Event-ID': input.lastEventId } : {};
const source = new EventSource(input.url, {
  fetch: (url, init) => fetch(url, { ...init, headers: { ...init.headers, ...headers } }),
});
const done = new Promise((resolve, reject) => {
  const take = (type) => (event) => {
    const data = JSON.parse(event.data);
    events.push({ type, id: event.lastEventId, status: data.status, progress: data.progress, videoUrl: data.videoUrl ?? null });
    if (type === 'status' && (data.status === 'COMPLETED' || data.status === 'FAILED')) resolve();
    if (input.stopAfter && events.length >= input.stopAfter) resolve();
  };
  source.addEventListener('status', take('status'));
  source.addEventListener('progress', take('progress'));
  source.onerror = (e) => { if (source.readyState === EventSource.CLOSED) reject(new Error(`stream closed: ${e.message ?? e.code}`)); };
});
await done;
source.close();
respond({ events });
