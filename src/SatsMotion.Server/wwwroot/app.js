// SatsMotion web page: the same public L402 API everyone uses, driven from the browser.
// The pending payment and job live in localStorage, so a reload or a closed tab never loses a payment.
'use strict';

const API = '/api/l402/animate-image';
const STORE = 'satsmotion.pending';
const $ = (id) => document.getElementById(id);
let models = [];
let imageDataUri = null;
let timers = [];
let stream = null;

function save(state) {
  try { localStorage.setItem(STORE, JSON.stringify(state)); } catch { showError('This browser could not keep the payment state; do not close the tab until the video is ready.'); }
}
function load() { try { return JSON.parse(localStorage.getItem(STORE)); } catch { return null; } }
function clearState() { localStorage.removeItem(STORE); }
function stopTimers() {
  timers.forEach(clearInterval);
  timers = [];
  if (stream) { stream.close(); stream = null; }
}

function show(step) {
  for (const id of ['form-step', 'pay-step', 'wait-step', 'result-step']) $(id).hidden = id !== step;
}
function showError(text) { $('error').textContent = text; $('error').hidden = !text; }
function clearFieldErrors() { document.querySelectorAll('.field-error').forEach((e) => { e.textContent = ''; }); showError(''); }

function selectedModel() { return models.find((m) => String(m.id) === $('model').value) || models[0]; }
function updatePrice() {
  const model = selectedModel();
  const duration = Number($('duration').value);
  $('duration-value').textContent = duration;
  if (model) {
    $('duration').min = model.min_duration;
    $('duration').max = model.max_duration;
    $('price').textContent = (duration * model.price_sats_per_second).toLocaleString('en');
  }
}

function readImage(file) {
  if (!file) return;
  const reader = new FileReader();
  reader.onload = () => {
    imageDataUri = reader.result;
    $('preview').src = imageDataUri;
    $('preview').hidden = false;
    $('drop-text').textContent = file.name;
    $('image-error').textContent = '';
  };
  reader.readAsDataURL(file);
}

function requestBody() {
  return JSON.stringify({ prompt: $('prompt').value, image: imageDataUri || '', duration: Number($('duration').value), modelId: selectedModel()?.id });
}

async function getInvoice() {
  clearFieldErrors();
  $('get-invoice').disabled = true;
  try {
    const body = requestBody();
    const response = await fetch(API, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    const json = await response.json().catch(() => ({}));
    if (response.status === 402) {
      const state = { body, macaroon: json.macaroon, invoice: json.invoice, paymentHash: json.payment_hash, expiresAt: json.expires_at, price: json.price_sats };
      save(state);
      showInvoice(state);
    } else if (json.field) {
      const target = $(`${json.field}-error`) || $('body-error');
      target.textContent = json.error;
    } else {
      showError(json.error || `The server answered ${response.status}.`);
    }
  } catch (e) {
    showError(`Could not reach the server: ${e.message}`);
  } finally {
    $('get-invoice').disabled = false;
  }
}

function showInvoice(state) {
  stopTimers();
  show('pay-step');
  $('amount').textContent = Number(state.price).toLocaleString('en');
  $('invoice-text').value = state.invoice;
  const uri = `LIGHTNING:${state.invoice.toUpperCase()}`;
  $('qr').src = `/api/qr?data=${encodeURIComponent(uri)}`;
  $('open-wallet').href = `lightning:${state.invoice}`;
  $('pay-status').textContent = 'Waiting for your payment…';
  $('webln-pay').hidden = !window.webln;
  const tick = () => {
    const left = Math.max(0, Math.floor((new Date(state.expiresAt) - Date.now()) / 1000));
    $('countdown').textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
    if (left === 0) $('pay-status').textContent = 'This invoice expired. Get a new one.';
  };
  tick();
  timers.push(setInterval(tick, 1000));
  timers.push(setInterval(() => checkInvoice(state), 1000));
}

// A wallet on another device pays: the server tells the macaroon's holder when the invoice settled.
async function checkInvoice(state) {
  const response = await fetch(`/api/l402/invoices/${state.paymentHash}`, { headers: { Authorization: `L402 ${state.macaroon}` } }).catch(() => null);
  if (!response || !response.ok) return;
  const json = await response.json();
  if (json.status === 'settled' && json.preimage) paid(state, json.preimage);
  else if (json.status === 'expired') $('pay-status').textContent = 'This invoice expired. Get a new one.';
}

function paid(state, preimage) {
  if (state.preimage) return;
  state.preimage = preimage;
  save(state);
  redeem(state);
}

async function redeem(state) {
  stopTimers();
  show('wait-step');
  $('wait-status').textContent = 'Paid. Starting…';
  try {
    const response = await fetch(API, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `L402 ${state.macaroon}:${state.preimage}`, Prefer: 'respond-async' },
      body: state.body,
    });
    const json = await response.json();
    if (!json.jobId) {
      showError(`${json.error || 'The server refused the token.'} ${json.hint || ''}`);
      return;
    }
    state.jobId = json.jobId;
    save(state);
    followJob(state);
  } catch (e) {
    showError(`Could not reach the server: ${e.message}. Reload the page to try again; your payment is kept.`);
  }
}

// Follows the job on its event stream; polling takes over where EventSource is missing or the stream fails.
function followJob(state) {
  stopTimers();
  show('wait-step');
  const update = (job) => {
    $('progress').value = job.progress || 0;
    $('wait-status').textContent = job.status === 'QUEUED' ? 'Paid. Queued…' : `Rendering… ${Math.round((job.progress || 0) * 100)}%`;
    if (job.status === 'COMPLETED' && job.videoUrl) { stopTimers(); showResult(job); }
    if (job.status === 'FAILED') {
      stopTimers();
      showError(`${job.error} You will not be charged again.`);
      $('wait-status').innerHTML = '';
      const retry = document.createElement('button');
      retry.textContent = 'Retry';
      retry.onclick = () => { showError(''); redeem(state); };
      $('wait-status').append(retry);
    }
  };
  const poll = async () => {
    const response = await fetch(`/api/l402/jobs/${state.jobId}`).catch(() => null);
    if (response && response.ok) update(await response.json());
  };
  if (typeof EventSource === 'undefined') {
    poll();
    timers.push(setInterval(poll, 1000));
    return;
  }
  stream = new EventSource(`/api/l402/jobs/${state.jobId}/events`);
  document.body.dataset.progressSource = 'events';
  const onEvent = (event) => update(JSON.parse(event.data));
  stream.addEventListener('status', onEvent);
  stream.addEventListener('progress', onEvent);
  stream.onerror = () => {
    if (!stream || stream.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
    stream = null;
    document.body.dataset.progressSource = 'polling';
    poll();
    timers.push(setInterval(poll, 1000));
  };
}

function showResult(job) {
  show('result-step');
  const video = $('video');
  video.poster = job.posterUrl || '';
  video.src = job.videoUrl;
  $('download').href = job.videoUrl;
  $('link').href = job.videoUrl;
  $('link').textContent = 'Link to the video';
}

function startOver() {
  stopTimers();
  clearState();
  clearFieldErrors();
  show('form-step');
}

async function init() {
  $('image').addEventListener('change', (e) => readImage(e.target.files[0]));
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); readImage(e.dataTransfer.files[0]); });
  $('duration').addEventListener('input', updatePrice);
  $('model').addEventListener('change', updatePrice);
  $('get-invoice').addEventListener('click', getInvoice);
  $('copy').addEventListener('click', () => navigator.clipboard?.writeText($('invoice-text').value));
  $('new-invoice').addEventListener('click', async () => { const s = load(); clearState(); if (s) { startOver(); await getInvoiceFor(s.body); } });
  $('cancel').addEventListener('click', startOver);
  $('again').addEventListener('click', startOver);
  $('webln-pay').addEventListener('click', async () => {
    const state = load();
    try { await window.webln.enable(); const r = await window.webln.sendPayment(state.invoice); paid(state, r.preimage); } catch (e) { $('pay-status').textContent = `Wallet: ${e.message}`; }
  });
  $('dev-pay').addEventListener('click', async () => {
    const state = load();
    const response = await fetch('/api/dev/pay', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ invoice: state.invoice }) });
    const json = await response.json();
    if (response.ok) paid(state, json.preimage); else $('pay-status').textContent = json.error;
  });

  const [modelsResponse, health] = await Promise.all([fetch('/api/l402/models').then((r) => r.json()), fetch('/healthz').then((r) => r.json())]);
  models = modelsResponse;
  $('model').innerHTML = '';
  for (const m of models) {
    const option = new Option(`${m.name} · ${m.price_sats_per_second} sats/s`, m.id, m.default, m.default);
    $('model').append(option);
  }
  const dev = health.real_money === false;
  $('dev-banner').hidden = !dev;
  $('dev-pay').hidden = !dev;
  updatePrice();

  const state = load();
  if (state?.jobId) followJob(state);
  else if (state?.preimage) redeem(state);
  else if (state?.invoice) showInvoice(state);
}

// "New invoice": the same request again, for a fresh invoice.
async function getInvoiceFor(body) {
  const response = await fetch(API, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  const json = await response.json();
  if (response.status !== 402) { showError(json.error || 'Could not get a new invoice.'); return; }
  const state = { body, macaroon: json.macaroon, invoice: json.invoice, paymentHash: json.payment_hash, expiresAt: json.expires_at, price: json.price_sats };
  save(state);
  showInvoice(state);
}

init().catch((e) => showError(`The page could not start: ${e.message}`));
