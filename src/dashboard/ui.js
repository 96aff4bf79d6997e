// The dashboard's browser code: plain JavaScript inlined into the page with the shared chart
// function (SVG_CHART) before it. It reads the simulator through /_sim only: the event stream
// for changes, /_sim/ui/tasks for pages of tasks, the admin routes for faults and the clock.
var TOKEN_KEY = 'gwsim-admin-token';
var PAGE = 50;
var RANK = { IN_QUEUE: 0, IN_PROGRESS: 1, COMPLETED: 2, FAILED: 2 };
var $ = function (id) { return document.querySelector('[data-testid="' + id + '"]'); };
var byId = function (id) { return document.getElementById(id); };

var state = {
  token: sessionStorage.getItem(TOKEN_KEY) || '',
  clock: { now_ms: 0, mode: 'real' }, clockAt: 0,
  hello: null, nodes: new Map(), keys: new Map(), faults: [], points: new Map(), bucketMs: 1000,
  rows: [], total: 0, cursors: [], next: null, filter: {},
  detail: null, abort: null, generation: 0,
};

function el(name, attrs, text) {
  var e = document.createElement(name);
  Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function cells(tr, values) {
  values.forEach(function (v) {
    var td = v instanceof Node ? v : el('td', {}, v === null || v === undefined ? '–' : v);
    tr.appendChild(td.tagName === 'TD' ? td : wrap(td));
  });
  return tr;
}
function wrap(child) { var td = el('td', { class: 'text' }); td.appendChild(child); return td; }
function fill(tbody, rows) { tbody.replaceChildren.apply(tbody, rows); }
function errorText(body, status) {
  return (body && body.error && body.error.message) || 'HTTP ' + status;
}

function now() {
  return state.clock.mode === 'real' ? state.clock.now_ms + (performance.now() - state.clockAt) : state.clock.now_ms;
}
function ms(v) {
  if (v === null || v === undefined) return '–';
  if (v < 1000) return Math.round(v) + ' ms';
  if (v < 120000) return (v / 1000).toFixed(1) + ' s';
  return Math.round(v / 60000) + ' min';
}

// Admin calls, with the token once one is given; a 401 asks for it.
function api(method, path, body) {
  var headers = { accept: 'application/json' };
  if (state.token) headers.authorization = 'Bearer ' + state.token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) }).then(function (res) {
    return res.json().catch(function () { return null; }).then(function (json) {
      if (res.status === 401) askToken(errorText(json, 401));
      return { status: res.status, body: json };
    });
  });
}

function askToken(message) {
  if (state.abort) state.abort.abort();
  byId('main').hidden = true;
  byId('token-form').hidden = false;
  $('token-error').textContent = state.token ? message : '';
  setStatus('token needed', 'bad');
  document.body.setAttribute('data-live', 'locked');
}

function setStatus(text, kind) {
  var pill = $('live-status');
  pill.textContent = text;
  pill.className = 'pill ' + (kind || '');
}

// The event stream, read with fetch (EventSource cannot send an Authorization header).
function connect() {
  if (state.abort) state.abort.abort();
  var abort = new AbortController();
  var generation = ++state.generation;
  state.abort = abort;
  setStatus('connecting');
  var headers = { accept: 'text/event-stream' };
  if (state.token) headers.authorization = 'Bearer ' + state.token;
  var retry = 2000;
  fetch('/_sim/events', { headers: headers, signal: abort.signal }).then(function (res) {
    if (res.status === 401) return res.json().catch(function () { return null; }).then(function (b) { askToken(errorText(b, 401)); return 'stop'; });
    if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
    var reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    var buffer = '';
    var pump = function () {
      return reader.read().then(function (chunk) {
        if (chunk.done) return;
        buffer += chunk.value.replace(/\r\n?/g, '\n');
        var end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          var block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          var event = 'message', data = [];
          block.split('\n').forEach(function (line) {
            if (line.startsWith(':')) return;
            var i = line.indexOf(':');
            var field = i < 0 ? line : line.slice(0, i);
            var value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
            if (field === 'event') event = value;
            else if (field === 'data') data.push(value);
            else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
          });
          if (data.length > 0 && generation === state.generation) handle(event, JSON.parse(data.join('\n')));
        }
        return pump();
      });
    };
    return pump();
  }).then(function (outcome) {
    if (outcome === 'stop' || abort.signal.aborted) return;
    setStatus('reconnecting', 'bad');
    setTimeout(connect, retry);
  }, function () {
    if (abort.signal.aborted) return;
    setStatus('reconnecting', 'bad');
    setTimeout(connect, retry);
  });
}

function handle(event, data) {
  if (event === 'hello') return hello(data);
  if (event === 'reset') return connect();
  if (event === 'clock') setClock(data);
  else if (event === 'tasks') taskChanges(data);
  else if (event === 'nodes') data.nodes.forEach(function (n) { state.nodes.set(n.id, n); });
  else if (event === 'keys') data.keys.forEach(function (k) { state.keys.set(k.key, k); });
  else if (event === 'faults') state.faults = data.faults;
  else if (event === 'series') data.points.forEach(function (p) { state.points.set(p.t, p); });
  schedule();
}

function hello(h) {
  state.hello = h;
  state.bucketMs = h.bucket_ms;
  state.nodes = new Map(h.nodes.map(function (n) { return [n.id, n]; }));
  state.keys = new Map(h.keys.map(function (k) { return [k.key, k]; }));
  state.faults = h.faults;
  state.points = new Map(h.series.map(function (p) { return [p.t, p]; }));
  setClock(h.clock);
  buildForms(h);
  byId('token-form').hidden = true;
  byId('main').hidden = false;
  setStatus('live', 'on');
  loadTasks(state.cursors[state.cursors.length - 1]).then(function () { document.body.setAttribute('data-live', 'on'); });
  schedule();
}

function setClock(c) {
  state.clock = c;
  state.clockAt = performance.now();
  $('clock-mode').textContent = c.mode;
  document.querySelector('.manual-only').hidden = c.mode !== 'manual';
}

function option(select, value, text) { select.appendChild(el('option', { value: value }, text === undefined ? value : text)); }

function buildForms(h) {
  var target = $('fault-target');
  var chosen = target.value;
  target.replaceChildren();
  h.targets.forEach(function (t) { option(target, t); });
  if (chosen) target.value = chosen;
  kinds();
  var status = $('task-filter-status'), model = $('task-filter-model');
  if (status.options.length === 1) {
    ['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED', 'FAILED'].forEach(function (s) { option(status, s); });
    h.models.forEach(function (m) { option(model, m); });
  }
}

function kinds() {
  var target = $('fault-target').value, select = $('fault-kind');
  var k = state.hello.fault_kinds;
  var list = target === 'webhooks' ? k.webhooks : target.startsWith('model:') ? k.model : k.node;
  var chosen = select.value;
  select.replaceChildren();
  list.forEach(function (x) { option(select, x); });
  if (list.indexOf(chosen) >= 0) select.value = chosen;
}

// Tasks: one page from the server; on the newest page, changes from the stream go in live.
function query(cursor) {
  var q = new URLSearchParams({ limit: String(PAGE) });
  Object.keys(state.filter).forEach(function (k) { if (state.filter[k]) q.set(k, state.filter[k]); });
  if (cursor) q.set('cursor', cursor);
  return '/_sim/ui/tasks?' + q.toString();
}

function loadTasks(cursor) {
  return api('GET', query(cursor)).then(function (r) {
    if (r.status !== 200) {
      $('task-error').textContent = errorText(r.body, r.status);
      return;
    }
    $('task-error').textContent = '';
    state.rows = r.body.tasks;
    state.total = r.body.total;
    state.next = r.body.next_cursor;
    schedule();
  });
}

function matches(t) {
  var f = state.filter;
  return (!f.status || t.status === f.status) && (!f.model || t.model === f.model) && (!f.key || t.key === f.key);
}

var reloadTimer = null;
function taskChanges(data) {
  var rows = state.rows;
  var index = new Map(rows.map(function (r, i) { return [r.task_id, i]; }));
  var newest = state.cursors.length === 0;
  var top = rows.length ? rows[0].created_at : -Infinity;
  data.tasks.forEach(function (t) {
    var i = index.get(t.task_id);
    if (i !== undefined) {
      if (RANK[t.status] >= RANK[rows[i].status]) rows[i] = t;
      if (state.detail === t.task_id) openTask(t.task_id);
    } else if (newest && matches(t) && t.created_at >= top) {
      rows.unshift(t);
      index = new Map(rows.map(function (r, j) { return [r.task_id, j]; }));
      state.total++;
    }
  });
  // On the newest page a task that no longer matches (its status moved on) leaves it.
  var kept = rows.filter(function (r) { return !newest || matches(r); });
  state.total -= rows.length - kept.length;
  state.rows = kept.slice(0, PAGE);
  // More changed than the stream carries: read the page again, at most once a second.
  if (data.more > 0 && newest && !reloadTimer) reloadTimer = setTimeout(function () { reloadTimer = null; loadTasks(); }, 1000);
}

function openTask(id) {
  state.detail = id;
  return api('GET', '/_sim/ui/tasks/' + encodeURIComponent(id)).then(function (r) {
    if (state.detail !== id) return;
    var body = byId('detail-body');
    byId('detail').hidden = false;
    if (r.status !== 200) return body.replaceChildren(el('p', { class: 'problem' }, errorText(r.body, r.status)));
    var t = r.body.task;
    var dl = el('dl');
    [['task', t.task_id], ['status', t.status], ['model', t.model + ' (' + t.sub_model + ')'], ['key', t.key], ['node', t.node + ' · ' + t.provider],
      ['queue position', t.queue_position], ['created', t.created_at], ['started', t.started_at], ['completed', t.completed_at],
      ['credits', t.credits_held + ' held, ' + t.credits_charged + ' charged'], ['error', t.error ? t.error.code + ': ' + t.error.message : null]]
      .forEach(function (p) { dl.appendChild(el('dt', {}, p[0])); dl.appendChild(el('dd', {}, p[1] === null ? '–' : p[1])); });
    var attempts = el('table', { 'data-testid': 'task-attempts' });
    attempts.appendChild(cells(el('tr'), ['#', 'node', 'provider', 'at', 'outcome', 'detail'].map(function (h) { return el('th', {}, h); })));
    t.attempts.forEach(function (a, i) { attempts.appendChild(cells(el('tr'), [i + 1, a.node, a.provider, new Date(a.at).toISOString(), a.outcome, a.detail])); });
    var hooks = el('table', { 'data-testid': 'task-webhooks' });
    hooks.appendChild(cells(el('tr'), ['webhook', 'url', 'state', 'attempts', 'last status'].map(function (h) { return el('th', {}, h); })));
    r.body.deliveries.forEach(function (d) {
      var last = d.attempts[d.attempts.length - 1];
      hooks.appendChild(cells(el('tr'), [d.id, d.url, d.state, d.attempts.length, last ? (last.status === null ? last.error : last.status) : null]));
    });
    var parts = [el('h2', {}, 'Task'), dl, el('h2', {}, 'Attempts'), attempts, el('h2', {}, 'Webhook deliveries'),
      r.body.deliveries.length ? hooks : el('p', { class: 'sub' }, 'none')];
    (t.output ? t.output.images : []).forEach(function (img, i) {
      // Same origin as the page: the image URL's path, so the browser asks this simulator.
      parts.push(el('img', { src: new URL(img.url).pathname, alt: 'image ' + i, width: Math.min(img.width, 600), 'data-testid': 'task-image' }));
    });
    body.replaceChildren.apply(body, parts);
  });
}

// Rendering, at most once per animation frame; ages move on with the clock once a second.
var pending = false;
function schedule() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(function () { pending = false; render(); });
}
setInterval(schedule, 1000);

function render() {
  if (!state.hello) return;
  var t = now();
  $('clock-now').textContent = new Date(t).toISOString().replace('T', ' ').replace('Z', '');
  renderNodes();
  renderFaults();
  renderKeys();
  renderTasks(t);
  renderCharts(t);
}

function renderNodes() {
  fill(byId('nodes'), Array.from(state.nodes.values()).map(function (n) {
    var tr = el('tr', { 'data-testid': 'node-row-' + n.id, 'data-circuit': n.circuit, 'data-faults': n.faults.join(' ') });
    var circuit = el('td', { class: n.circuit }, n.circuit);
    var faults = el('td', { class: n.faults.length ? 'fault text' : 'text' }, n.faults.join(', ') || '–');
    return cells(tr, [n.id, n.capacity, n.running, n.queued, circuit, faults, ms(n.recent.p50_ms), ms(n.recent.p95_ms), n.recent.completed, n.recent.failed, n.recent.errors]);
  }));
}

function renderFaults() {
  fill(byId('faults'), state.faults.map(function (f) {
    var clear = el('button', { type: 'button', 'data-testid': 'fault-clear-' + f.id }, 'clear');
    clear.addEventListener('click', function () { api('DELETE', '/_sim/faults/' + encodeURIComponent(f.id)); });
    var ends = f.ends_at === null ? 'until cleared' : 'in ' + ms(Math.max(0, f.ends_at - now()));
    var td = el('td');
    td.appendChild(clear);
    return cells(el('tr', { 'data-testid': 'fault-row-' + f.id }), [f.id, f.target, f.kind, f.value, ends, td]);
  }));
}

function renderKeys() {
  fill(byId('keys'), Array.from(state.keys.values()).map(function (k) {
    var rate = (k.rate_used === null ? '–' : k.rate_used) + ' / ' + k.rate_limit.requests + ' per ' + k.rate_limit.window_s + ' s';
    return cells(el('tr', { 'data-testid': 'key-row-' + k.key }), [k.key, k.balance, k.held, k.available, rate]);
  }));
}

function renderTasks(t) {
  $('task-total').textContent = state.total + ' matching' + (state.cursors.length ? ' · older page ' + (state.cursors.length + 1) : '');
  $('tasks-older').disabled = !state.next;
  fill(byId('tasks'), state.rows.map(function (r) {
    var tr = el('tr', { 'data-testid': 'task-row-' + r.task_id, 'data-status': r.status });
    tr.addEventListener('click', function () { openTask(r.task_id); });
    var credits = r.credits_charged ? r.credits_charged + ' charged' : r.credits_held ? r.credits_held + ' held' : '0';
    return cells(tr, [r.task_id, el('td', { class: r.status }, r.status), r.model, r.node, r.queue_position, ms(t - r.created_at), credits,
      el('td', { class: 'text' }, r.error ? r.error.code : '–')]);
  }));
}

var STATUS_SERIES = [['submitted', 'created', '#6b7280'], ['started', 'started', '#2563eb'], ['completed', 'completed', '#16a34a'], ['failed', 'failed', '#dc2626']];
var charted = 0;
function renderCharts(t) {
  // Redrawn at most twice a second: a few hundred points each.
  if (performance.now() - charted < 500) return;
  charted = performance.now();
  var bucket = state.bucketMs;
  var points = Array.from(state.points.values()).filter(function (p) { return p.t > t - 120000; }).sort(function (a, b) { return a.t - b.t; });
  var x = function (p) { return (p.t + bucket - t) / 1000; };
  // The last two minutes at most, at least the last 30 s: a page opened lately fills its charts.
  var span = Math.max(30, Math.min(120, points.length ? Math.ceil(-x(points[0]) + 1) : 30));
  var opts = { xLabel: 'seconds before now (simulator clock)', xMin: -span, xMax: 0, dots: false };
  // A second still under way would read as a drop in throughput: it is drawn once it is over.
  var over = points.filter(function (p) { return p.t + bucket <= t; });
  chart('chart-throughput', STATUS_SERIES.map(function (s) {
    return { name: s[0] + ' /s', color: s[2], points: over.map(function (p) { return [x(p), p[s[1]] * 1000 / bucket]; }) };
  }), Object.assign({ yLabel: 'tasks per second', empty: 'no tasks moved yet' }, opts));
  var models = [];
  points.forEach(function (p) { Object.keys(p.latency).forEach(function (m) { if (models.indexOf(m) < 0) models.push(m); }); });
  models.sort();
  var latency = [];
  models.forEach(function (m, i) {
    var color = COLORS[i % COLORS.length];
    var own = points.filter(function (p) { return p.latency[m]; });
    latency.push({ name: m, color: color, points: own.map(function (p) { return [x(p), p.latency[m][1] / 1000]; }) });
    latency.push({ name: m + ' p50', color: color, dash: true, legend: false, points: own.map(function (p) { return [x(p), p.latency[m][0] / 1000]; }) });
  });
  chart('chart-latency', latency, Object.assign({ yLabel: 'seconds', empty: 'no completions yet' }, opts));
  var nodes = [];
  points.forEach(function (p) { Object.keys(p.queue).forEach(function (n) { if (p.queue[n] > 0 && nodes.indexOf(n) < 0) nodes.push(n); }); });
  nodes.sort();
  chart('chart-queue', nodes.map(function (n) {
    return { name: n, points: points.filter(function (p) { return p.queue[n] !== undefined; }).map(function (p) { return [x(p), p.queue[n]]; }) };
  }), Object.assign({ yLabel: 'jobs waiting', empty: 'no queue' }, opts));
  document.body.setAttribute('data-charts', 'drawn');
}

// Controls.
$('fault-target').addEventListener('change', kinds);
byId('fault-form').addEventListener('submit', function (e) {
  e.preventDefault();
  var body = { target: $('fault-target').value, kind: $('fault-kind').value };
  if ($('fault-value').value !== '') body.value = Number($('fault-value').value);
  if ($('fault-duration').value !== '') body.duration_ms = Number($('fault-duration').value);
  api('POST', '/_sim/faults', body).then(function (r) {
    $('fault-error').textContent = r.status === 201 ? '' : errorText(r.body, r.status);
  });
});
$('fault-clear-all').addEventListener('click', function () { api('DELETE', '/_sim/faults'); });
$('clock-advance').addEventListener('click', function () {
  var button = $('clock-advance');
  button.disabled = true;
  api('POST', '/_sim/clock/advance', { ms: Number($('clock-advance-ms').value) }).then(function (r) {
    button.disabled = false;
    if (r.status === 200) setClock(r.body);
    schedule();
    $('clock-error').textContent = r.status === 200 ? '' : errorText(r.body, r.status);
  });
});
byId('task-filter').addEventListener('submit', function (e) {
  e.preventDefault();
  state.filter = { status: $('task-filter-status').value, model: $('task-filter-model').value, key: $('task-filter-key').value.trim() };
  state.cursors = [];
  loadTasks();
});
$('tasks-newest').addEventListener('click', function () { state.cursors = []; loadTasks(); });
$('tasks-older').addEventListener('click', function () {
  if (!state.next) return;
  state.cursors.push(state.next);
  loadTasks(state.next);
});
$('task-detail-close').addEventListener('click', function () { state.detail = null; byId('detail').hidden = true; });
byId('token-form').addEventListener('submit', function (e) {
  e.preventDefault();
  state.token = $('token-input').value.trim();
  sessionStorage.setItem(TOKEN_KEY, state.token);
  connect();
});

connect();
