// The arvdm player: a reference client of the public API (GET /v1/models, the context clips of
// GET /v1/evaluation-sets, and the Session API). Frames arrive over the session's server-sent
// event stream (EventSource: it resumes by itself with Last-Event-ID after a dropped connection);
// actions go out as POST /v1/sessions/{id}/actions. No framework, no build step.
'use strict';

const $ = (id) => document.getElementById(id);

const KEYS = {
  ArrowUp: 'forward', KeyW: 'forward',
  ArrowDown: 'back', KeyS: 'back',
  ArrowLeft: 'left', KeyA: 'left',
  ArrowRight: 'right', KeyD: 'right',
  Space: 'noop',
};
/** The world of a bundle or set that names none (EvaluationSet.DEFAULT_WORLD on the server). */
const DEFAULT_WORLD = 'maze-v1';
const MAX_PENDING_FOR_HOLD = 2; // a held key stops sending while this many actions wait on the server

const page = {
  models: [],
  failed: [],
  sets: [],          // [{name, frame, actions, contextFrames, trajectories: [{id, length}]}]
  clips: new Map(),  // "set/id" -> {frames, actions}
  main: null,        // SessionView of the original session
  fork: null,        // SessionView of the fork
  held: new Map(),   // key code -> interval id of a held key (realtime mode)
  messageTimer: null,
};

// ---------------------------------------------------------------- messages

/** Shows a message a person can act on; kind: info | busy | error | expired | connection. */
function say(text, kind = 'info', seconds = 0) {
  const box = $('message');
  clearTimeout(page.messageTimer);
  box.textContent = text;
  box.className = kind;
  box.hidden = false;
  if (seconds > 0) {
    page.messageTimer = setTimeout(() => { box.hidden = true; }, seconds * 1000);
  }
}

function unsay(kind) {
  const box = $('message');
  if (!kind || box.className === kind) {
    box.hidden = true;
  }
}

/** The problem+json detail of a failed response, or its status line. */
async function problemOf(res) {
  try {
    const p = await res.json();
    return p.detail || p.title || `HTTP ${res.status}`;
  } catch (e) {
    return `HTTP ${res.status} ${res.statusText}`;
  }
}

/** Busy (429): names the reason and counts down the Retry-After seconds. */
function sayBusy(detail, retryAfter) {
  let left = Math.max(1, parseInt(retryAfter, 10) || 1);
  const reason = /[.!?]$/.test(detail) ? detail : `${detail}.`;
  const show = () => say(`The service is busy: ${reason} Retry in ${left} s.`, 'busy');
  show();
  clearInterval(page.busyTimer);
  page.busyTimer = setInterval(() => {
    left -= 1;
    if (left <= 0) {
      clearInterval(page.busyTimer);
      say('The service may have room again: press Start session to retry.', 'busy');
    } else {
      show();
    }
  }, 1000);
}

async function getJson(url) {
  const res = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!res.ok) {
    throw new Error(`${url}: ${await problemOf(res)}`);
  }
  return res.json();
}

// ---------------------------------------------------------------- models and clips

async function loadModels() {
  const list = await getJson('/v1/models');
  page.models = list.models;
  page.failed = list.failed || [];
  const select = $('model');
  select.replaceChildren();
  for (const m of page.models) {
    const o = new Option(`${m.id} (${m.memory.architecture}, ${m.frame.width}×${m.frame.height})`, m.id);
    o.selected = m.id === list.defaultModel;
    select.add(o);
  }
  for (const f of page.failed) {
    const o = new Option(`${f.id} (failed to load)`, f.id);
    o.disabled = true;
    select.add(o);
  }
  if (page.failed.length > 0) {
    say(`Not every model loaded: ${page.failed.map((f) => `${f.id}: ${f.reason}`).join('; ')}`, 'error');
  }
  if (page.models.length === 0 && page.failed.length === 0) {
    say('The service is still loading its models; trying again in 2 s…', 'busy');
    await new Promise((r) => { setTimeout(r, 2000); });
    return loadModels();
  }
  if (page.models.length === 0) {
    say('No model loaded, so nothing can be played: '
      + page.failed.map((f) => `${f.id}: ${f.reason}`).join('; '), 'error');
  } else if (page.failed.length === 0) {
    unsay('busy');
  }
  return undefined;
}

async function loadSets() {
  const list = await getJson('/v1/evaluation-sets');
  page.sets = await Promise.all(list.sets.map((s) =>
    getJson(`/v1/evaluation-sets/${encodeURIComponent(s.name)}/trajectories`)
      .then((t) => ({ ...t, name: s.name, world: s.world || DEFAULT_WORLD }))));
}

function currentModel() {
  return page.models.find((m) => m.id === $('model').value) || null;
}

function sameShape(a, b) {
  return a.channels === b.channels && a.height === b.height && a.width === b.width;
}

/** The world a bundle was trained in (its training record's `world`), as the service reads it. */
function worldOf(model) {
  const w = model.training && model.training.world;
  return typeof w === 'string' && w.trim() !== '' ? w : DEFAULT_WORLD;
}

/**
 * Fills the clip list with the trajectories of the chosen model's world whose frames and actions
 * it takes: a clip of another world has the same shape and actions but other steps (v1 turns 90°,
 * v2 30°), so playing from it would show the model a history unlike any it was trained on.
 */
function fillClips() {
  const model = currentModel();
  const select = $('clip');
  select.replaceChildren();
  if (!model) {
    describeModel();
    return;
  }
  const names = model.actions.names || [];
  for (const s of page.sets) {
    if ((s.world || DEFAULT_WORLD) !== worldOf(model) || !sameShape(s.frame, model.frame)
      || !s.actions.every((a) => names.includes(a))) {
      continue;
    }
    const group = document.createElement('optgroup');
    group.label = `${s.name} (${s.contextFrames} context frames)`;
    for (const t of s.trajectories) {
      group.appendChild(new Option(t.id, `${s.name}/${t.id}`));
    }
    select.appendChild(group);
  }
  if (select.options.length === 0) {
    select.add(new Option(`no bundled clip of world ${worldOf(model)} fits this model`, ''));
  }
  describeModel();
  fillPad(model);
  showClip();
}

function describeModel() {
  const m = currentModel();
  $('model-info').textContent = m
    ? `${m.memory.architecture} · memory ${m.memory.kind} w_m=${m.memory.frames}`
      + `${m.memory.tokens ? ` k=${m.memory.tokens}` : ''} · window ${m.window} · ${m.device}`
    : '';
  $('model-description').textContent = (m && m.description) || '';
  $('model-about').hidden = !(m && m.description);
}

/** On-screen buttons: the five maze actions where the model has them, plus any other names it has. */
function fillPad(model) {
  const pad = $('pad');
  const names = model.actions.names || [];
  for (const b of pad.querySelectorAll('button[data-action]')) {
    b.hidden = !names.includes(b.dataset.action);
  }
  for (const b of pad.querySelectorAll('button.extra')) {
    b.remove();
  }
  for (const n of names) {
    if (!pad.querySelector(`button[data-action="${CSS.escape(n)}"]`)) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'extra';
      b.dataset.action = n;
      b.textContent = n;
      pad.appendChild(b);
    }
  }
}

async function clip(key) {
  if (!page.clips.has(key)) {
    const [set, id] = key.split('/');
    page.clips.set(key, await getJson(`/v1/evaluation-sets/${encodeURIComponent(set)}/trajectories/`
      + `${encodeURIComponent(id)}/context`));
  }
  return page.clips.get(key);
}

async function showClip() {
  const key = $('clip').value;
  const canvas = $('clip-preview');
  const g = canvas.getContext('2d');
  g.clearRect(0, 0, canvas.width, canvas.height);
  if (!key) {
    return;
  }
  try {
    const c = await clip(key);
    await draw(canvas, `data:image/png;base64,${c.frames[c.frames.length - 1]}`);
  } catch (e) {
    say(`Could not load the context clip: ${e.message}`, 'error');
  }
}

// ---------------------------------------------------------------- drawing

/** Draws an image onto the whole canvas, scaled with nearest neighbour (no smoothing). */
async function draw(canvas, src) {
  const img = new Image();
  img.src = src;
  await img.decode();
  const g = canvas.getContext('2d');
  g.imageSmoothingEnabled = false;
  g.drawImage(img, 0, 0, canvas.width, canvas.height);
}

function median(xs) {
  if (xs.length === 0) {
    return NaN;
  }
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const ms = (x) => (Number.isFinite(x) ? `${Math.round(x)} ms` : '–');

// ---------------------------------------------------------------- one session on one canvas

class SessionView {
  constructor(role, canvas, idLabel) {
    this.role = role;              // 'main' | 'fork'
    this.canvas = canvas;
    this.idLabel = idLabel;
    this.info = null;              // the create (or fork) response
    this.events = null;            // EventSource
    this.lastIndex = -1;           // newest frame drawn
    this.drawing = Promise.resolve();
    this.frameTimes = [];          // performance.now() of the frames drawn in the last 2 s
    this.latencies = [];           // key press -> that action's frame on screen, ms
    this.serverLatencies = [];     // the server's latencyMs (action arrival -> frame)
    this.sentAt = new Map();       // action seq -> performance.now() of the key press
    this.shownAt = new Map();      // action seq -> performance.now() its frame was drawn (if the 202 came later)
    this.pending = 0;
    this.status = 'starting';
    this.reconnecting = false;
    this.closed = false;
    this.poll = null;
    this.state = null;             // last GET /v1/sessions/{id}
  }

  get id() {
    return this.info && this.info.id;
  }

  link(name) {
    const l = this.info.links || {};
    return l[name] || `/v1/sessions/${encodeURIComponent(this.id)}${name === 'self' ? '' : `/${name}`}`;
  }

  open(info) {
    this.info = info;
    this.idLabel.textContent = info.id;
    this.canvas.dataset.frames = '0';
    this.connect();
    this.poll = setInterval(() => this.refresh(), 1000);
    this.refresh();
  }

  connect() {
    const es = new EventSource(this.link('events'));
    this.events = es;
    es.onopen = () => {
      if (this.reconnecting) {
        this.reconnecting = false;
        say(`Reconnected to ${this.role === 'fork' ? 'the fork' : 'the session'}: resumed after frame ${this.lastIndex}.`,
          'connection', 4);
      }
      this.status = 'playing';
      hud();
    };
    es.onerror = () => {
      if (this.closed) {
        return;
      }
      if (es.readyState === EventSource.CONNECTING) {
        // EventSource retries by itself and sends Last-Event-ID, so the stream resumes after the last frame.
        this.reconnecting = true;
        this.status = 'reconnecting';
        say(`Lost the connection to the service; reconnecting and resuming after frame ${this.lastIndex}…`,
          'connection');
      } else {
        this.checkGone('The event stream closed');
      }
      hud();
    };
    es.addEventListener('started', (e) => {
      const d = JSON.parse(e.data);
      this.info = { ...this.info, ...d, links: this.info.links };
      hud();
    });
    es.addEventListener('frame', (e) => this.onFrame(JSON.parse(e.data)));
    es.addEventListener('preview', (e) => {
      if (this.role === 'main' && $('previews').checked) {
        showPreview(JSON.parse(e.data));
      }
    });
    es.addEventListener('error', (e) => {
      // the server's `error` event (a problem detail); the EventSource's own errors carry no data
      if (!e.data) {
        return;
      }
      const p = JSON.parse(e.data);
      say(`The ${this.role === 'fork' ? 'fork' : 'session'} failed: ${p.detail || p.title}`, 'error');
      this.status = 'failed';
      hud();
    });
    es.addEventListener('closed', (e) => {
      const reason = JSON.parse(e.data).reason;
      this.end(reason);
    });
  }

  onFrame(f) {
    const now = performance.now();
    if (f.actionSeq !== null && f.actionSeq !== undefined) {
      if (this.sentAt.has(f.actionSeq)) {
        this.latencies.push(now - this.sentAt.get(f.actionSeq));
        this.sentAt.delete(f.actionSeq);
      } else {
        this.shownAt.set(f.actionSeq, now);
      }
      if (f.latencyMs !== null && f.latencyMs !== undefined) {
        this.serverLatencies.push(f.latencyMs);
      }
      this.latencies = this.latencies.slice(-100);
      this.serverLatencies = this.serverLatencies.slice(-100);
    }
    if (f.index <= this.lastIndex) {
      return; // replayed after a reconnect: already on screen
    }
    this.lastIndex = f.index;
    this.frameTimes.push(now);
    while (this.frameTimes.length > 1 && now - this.frameTimes[0] > 2000) {
      this.frameTimes.shift();
    }
    const fmt = (this.info.output && this.info.output.format) === 'jpeg' ? 'jpeg' : 'png';
    const index = f.index;
    this.drawing = this.drawing.then(() => draw(this.canvas, `data:image/${fmt};base64,${f.image}`))
      .then(() => {
        this.canvas.dataset.frames = String(index + 1);
        this.canvas.dataset.lastIndex = String(index);
      })
      .catch((err) => say(`A frame could not be drawn: ${err.message}`, 'error'));
    hud();
  }

  fps() {
    const t = this.frameTimes;
    return t.length < 2 ? NaN : ((t.length - 1) * 1000) / (t[t.length - 1] - t[0]);
  }

  async send(action) {
    if (this.closed || !this.info) {
      return;
    }
    const t0 = performance.now();
    let res;
    try {
      res = await fetch(this.link('actions'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ actions: [action] }),
      });
    } catch (e) {
      say('Lost the connection to the service: the action did not reach it.', 'connection');
      return;
    }
    if (res.status === 202) {
      const r = await res.json();
      this.pending = r.pending;
      for (const seq of r.sequences) {
        if (this.shownAt.has(seq)) {
          this.latencies.push(this.shownAt.get(seq) - t0);
          this.shownAt.delete(seq);
        } else {
          this.sentAt.set(seq, t0);
        }
      }
      hud();
    } else if (res.status === 404) {
      this.checkGone('The session is gone');
    } else if (res.status === 429) {
      sayBusy(await problemOf(res), res.headers.get('Retry-After'));
    } else {
      say(`The action was refused: ${await problemOf(res)}`, 'error');
    }
  }

  async refresh() {
    if (this.closed) {
      return;
    }
    try {
      const res = await fetch(this.link('self'), { headers: { Accept: 'application/json' } });
      if (res.status === 404) {
        this.end('expired');
        return;
      }
      if (res.ok) {
        this.state = await res.json();
        this.pending = this.state.actionsPending;
        hud();
      }
    } catch (e) {
      // the event stream reports lost connections
    }
  }

  /** The stream or an action failed for good: tell apart an expired session from a lost service. */
  async checkGone(what) {
    try {
      const res = await fetch(this.link('self'), { headers: { Accept: 'application/json' } });
      if (res.status === 404) {
        this.end('expired');
        return;
      }
      if (res.ok && this.events && this.events.readyState === EventSource.CLOSED) {
        this.events.close();
        say(`${what}; reconnecting and resuming after frame ${this.lastIndex}…`, 'connection');
        this.reconnecting = true;
        this.connect(); // a new EventSource starts from the replay buffer; frames already drawn are skipped
      }
    } catch (e) {
      say(`Lost the connection to the service (${what.toLowerCase()}). Is it still running?`, 'connection');
      this.status = 'disconnected';
      hud();
      setTimeout(() => this.checkGone(what), 3000);
    }
  }

  end(reason) {
    if (this.closed) {
      return;
    }
    this.closed = true;
    clearInterval(this.poll);
    if (this.events) {
      this.events.close();
    }
    this.status = `ended (${reason})`;
    const who = this.role === 'fork' ? 'The fork' : 'The session';
    if (reason === 'expired') {
      say(`${who} expired: it was idle too long or its time ran out. Start a new session to play on.`, 'expired');
    } else if (reason === 'shutdown') {
      say('The service is shutting down; the session ended.', 'error');
    } else if (reason === 'deleted') {
      // remove() marks the view closed before its own DELETE, so this one came from elsewhere (the API)
      say(`${who} was ended on the service (deleted through the API, not by this page). `
        + 'Start a new session to play on.', 'expired');
    }
    hud();
    controls();
  }

  async remove() {
    const id = this.id;
    const open = !this.closed; // a session that ended (expired, deleted elsewhere) has nothing to delete
    this.end('deleted');
    if (id && open) {
      try {
        await fetch(this.link('self'), { method: 'DELETE', keepalive: true });
      } catch (e) {
        // nothing to tell: the session expires on its own
      }
    }
  }

  async download() {
    const res = await fetch(this.link('recording'), { headers: { Accept: 'video/mp4' } });
    if (res.status === 409) {
      say('Nothing to record yet: no frame has been played.', 'info', 5);
      return;
    }
    if (res.status === 404) {
      say('The session is gone, and its recording with it.', 'expired');
      return;
    }
    if (!res.ok) {
      say(`The recording failed: ${await problemOf(res)}`, 'error');
      return;
    }
    const blob = await res.blob();
    const a = $('download-link');
    if (a.href) {
      URL.revokeObjectURL(a.href);
    }
    a.href = URL.createObjectURL(blob);
    a.download = `arvdm-${this.id}.mp4`;
    a.dataset.bytes = String(blob.size);
    a.click();
    say(`Recording of ${this.role === 'fork' ? 'the fork' : 'the session'} saved: ${(blob.size / 1024).toFixed(1)} kB MP4.`,
      'info', 5);
  }
}

// ---------------------------------------------------------------- previews

function showPreview(p) {
  const box = $('preview-tiles');
  box.replaceChildren();
  for (const f of p.frames || []) {
    const fig = document.createElement('figure');
    const img = document.createElement('img');
    img.src = `data:image/png;base64,${f.image}`;
    img.alt = `x̂0 of frame ${f.index} at level ${f.level}`;
    const cap = document.createElement('figcaption');
    cap.textContent = `#${f.index} t=${f.level}`;
    fig.append(img, cap);
    box.appendChild(fig);
  }
}

// ---------------------------------------------------------------- HUD and controls

function hud() {
  const v = page.main;
  const set = (id, text) => { $(id).textContent = text; };
  if (!v || !v.info) {
    set('hud-status', 'no session');
    return;
  }
  const i = v.info;
  const st = v.state;
  set('hud-status', page.fork ? `${v.status}; fork ${page.fork.status}` : v.status);
  set('hud-mode', i.mode === 'step' ? 'step' : `realtime at ${i.fps} fps`);
  set('hud-frame', v.lastIndex < 0 ? 'none yet' : String(v.lastIndex)
    + (page.fork && page.fork.lastIndex >= 0 ? ` (fork ${page.fork.lastIndex})` : ''));
  set('hud-fps', Number.isFinite(v.fps()) ? v.fps().toFixed(1) : '–');
  const last = v.latencies[v.latencies.length - 1];
  const srv = v.serverLatencies;
  set('hud-latency', `${ms(last)} / ${ms(median(v.latencies))}`
    + (srv.length ? ` (server ${ms(srv[srv.length - 1])} / ${ms(median(srv))})` : ''));
  const lag = i.lagFrames;
  set('hud-lag', lag === undefined ? '–' : `${lag} frame${lag === 1 ? '' : 's'}`
    + (i.mode === 'step' ? '' : ` = ${ms((lag * 1000) / i.fps)} at ${i.fps} fps`));
  set('hud-pending', String(v.pending));
  const mem = (st && st.memory) || i.memory;
  set('hud-memory', mem ? `${mem.used === undefined ? '–' : mem.used} / ${mem.budget} ${mem.unit || ''}`
    + (mem.kind ? ` (${mem.kind})` : '') : '–');
  const s = i.schedule;
  if (s) {
    set('hud-schedule', `w=${s.window}, Δ=${s.stride}, M_ar=${s.arSteps}, M_init=${s.initSteps}, η=${s.eta},`
      + ` T=${s.timesteps}`);
    set('hud-levels', `in [${(s.inputLevels || []).join(', ')}]`
      + (s.outputLevels ? ` → out [${s.outputLevels.join(', ')}]` : ''));
  }
  const m = page.models.find((x) => x.id === i.model);
  set('hud-model', m ? `${m.id}: ${m.memory.architecture}, memory ${m.memory.kind} w_m=${m.memory.frames}`
    + `${m.memory.tokens ? ` k=${m.memory.tokens}` : ''}, ${m.frame.channels}×${m.frame.height}×${m.frame.width},`
    + ` ${m.diffusion.prediction}-prediction, ${m.device}` : i.model);
  set('hud-seed', i.seed === undefined ? '–' : String(i.seed));
  set('hud-expires', (st && st.expiresAt) || i.expiresAt || '–');
}

function playing(v) {
  return v !== null && !v.closed;
}

function controls() {
  const on = playing(page.main);
  $('stop').disabled = !on;
  $('fork').disabled = !on;
  $('download').disabled = !page.main;
  $('target').disabled = !playing(page.fork);
  $('view-fork').hidden = !page.fork;
  $('views').classList.toggle('forked', Boolean(page.fork));
  $('download-fork').disabled = !page.fork;
  $('download-fork').hidden = !page.fork;
  for (const b of $('pad').querySelectorAll('button')) {
    b.disabled = !on && !playing(page.fork);
  }
}

function targets() {
  const t = document.querySelector('input[name="target"]:checked').value;
  const views = t === 'both' ? [page.main, page.fork] : [t === 'fork' ? page.fork : page.main];
  return views.filter(playing);
}

function act(action) {
  for (const v of targets()) {
    v.send(action);
  }
}

// ---------------------------------------------------------------- start, fork, stop

async function start(ev) {
  ev.preventDefault();
  const model = currentModel();
  if (!model) {
    say('Choose a model first.', 'error');
    return;
  }
  if (!$('clip').value) {
    say('Choose a context clip first: no bundled clip fits this model.', 'error');
    return;
  }
  $('start').disabled = true;
  try {
    await stop();
    const context = await clip($('clip').value);
    const mode = document.querySelector('input[name="mode"]:checked').value;
    const body = { model: model.id, context, mode, previews: $('previews').checked };
    if (mode === 'realtime') {
      body.fps = parseInt($('fps').value, 10);
    }
    if ($('seed').value !== '') {
      body.seed = parseInt($('seed').value, 10);
    }
    let res;
    try {
      res = await fetch('/v1/sessions', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (e) {
      say('Could not reach the service to start a session. Is it running?', 'connection');
      return;
    }
    if (res.status === 429) {
      sayBusy(await problemOf(res), res.headers.get('Retry-After'));
      return;
    }
    if (res.status === 503) {
      say(`The service is not ready: ${await problemOf(res)} Try again in a moment.`, 'busy');
      return;
    }
    if (!res.ok) {
      say(`The session could not start: ${await problemOf(res)}`, 'error');
      return;
    }
    clearInterval(page.busyTimer);
    unsay();
    page.main = new SessionView('main', $('screen'), $('main-id'));
    page.main.open(await res.json());
    $('previews-box').hidden = !$('previews').checked;
    controls();
    hud();
    $('screen').focus();
  } finally {
    $('start').disabled = false;
  }
}

async function fork() {
  if (!playing(page.main)) {
    return;
  }
  if (page.fork) {
    await page.fork.remove();
    page.fork = null;
  }
  const res = await fetch(page.main.link('fork'), { method: 'POST', headers: { Accept: 'application/json' } });
  if (res.status === 429) {
    sayBusy(await problemOf(res), res.headers.get('Retry-After'));
    return;
  }
  if (!res.ok) {
    say(`The fork failed: ${await problemOf(res)}`, 'error');
    return;
  }
  page.fork = new SessionView('fork', $('screen-fork'), $('fork-id'));
  page.fork.open(await res.json());
  document.querySelector('input[name="target"][value="both"]').checked = true;
  controls();
  hud();
}

async function stop() {
  const views = [page.fork, page.main].filter((v) => v);
  page.fork = null;
  await Promise.all(views.map((v) => v.remove()));
  controls();
}

// ---------------------------------------------------------------- keyboard

function isFormField(el) {
  return el && (el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA');
}

function onKeyDown(e) {
  const action = KEYS[e.code];
  if (!action || e.altKey || e.ctrlKey || e.metaKey || isFormField(e.target)) {
    return;
  }
  if (e.code === 'Space' && e.target.tagName === 'BUTTON') {
    return; // Space presses the focused button instead
  }
  if (!playing(page.main) && !playing(page.fork)) {
    return;
  }
  e.preventDefault();
  if (e.repeat || page.held.has(e.code)) {
    return;
  }
  act(action);
  const main = page.main;
  if (main && main.info && main.info.mode !== 'step') {
    // held in realtime: one action per frame while the server keeps up
    const period = 1000 / (main.info.fps || 10);
    page.held.set(e.code, setInterval(() => {
      if (targets().every((v) => v.pending < MAX_PENDING_FOR_HOLD)) {
        act(action);
      }
    }, period));
  }
}

function onKeyUp(e) {
  if (page.held.has(e.code)) {
    clearInterval(page.held.get(e.code));
    page.held.delete(e.code);
  }
}

function releaseKeys() {
  for (const id of page.held.values()) {
    clearInterval(id);
  }
  page.held.clear();
}

// ---------------------------------------------------------------- wiring

async function init() {
  $('start-form').addEventListener('submit', start);
  $('stop').addEventListener('click', () => stop().then(() => say('Session ended.', 'info', 3)));
  $('fork').addEventListener('click', fork);
  $('download').addEventListener('click', () => page.main && page.main.download());
  $('download-fork').addEventListener('click', () => page.fork && page.fork.download());
  $('model').addEventListener('change', fillClips);
  $('clip').addEventListener('change', showClip);
  $('pad').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-action]');
    if (b) {
      act(b.dataset.action);
    }
  });
  document.addEventListener('keydown', onKeyDown);
  document.addEventListener('keyup', onKeyUp);
  window.addEventListener('blur', releaseKeys);
  window.addEventListener('pagehide', () => {
    for (const v of [page.fork, page.main]) {
      if (playing(v)) {
        v.remove();
      }
    }
  });
  for (const c of [$('screen'), $('screen-fork'), $('clip-preview')]) {
    c.getContext('2d').imageSmoothingEnabled = false;
  }
  controls();
  try {
    await Promise.all([loadModels(), loadSets()]);
    fillClips();
    document.body.dataset.ready = 'true';
  } catch (e) {
    say(`The service did not answer as expected: ${e.message}`, 'error');
  }
}

init();
