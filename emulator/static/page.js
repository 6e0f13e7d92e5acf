// The emulator's page: buckets and objects, and the live callback journal with replay.
// Everything from the server is rendered with textContent: keys and bodies are untrusted.
'use strict';
(function () {
  const API = '/_emulator/api/';
  const JOURNAL = '/_emulator/callbacks';
  const POLL_MS = 1000;
  const PAGE_SIZE = 50;

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'text') node.textContent = String(value);
      else if (name === 'className') node.className = value;
      else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  async function getJson(url) {
    const response = await fetch(url, { cache: 'no-store' });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      throw new Error((body && body.error) || `${response.status} ${response.statusText}`);
    }
    return body;
  }

  function when(seconds) {
    if (typeof seconds !== 'number') return '';
    return new Date(seconds * 1000).toISOString().replace('T', ' ').replace('Z', ' UTC');
  }

  function bytes(size) {
    if (size < 1024) return `${size} B`;
    const units = ['KiB', 'MiB', 'GiB', 'TiB'];
    let value = size;
    let unit = -1;
    do { value /= 1024; unit += 1; } while (value >= 1024 && unit < units.length - 1);
    return `${value.toFixed(1)} ${units[unit]}`;
  }

  // ---- buckets and objects ----------------------------------------------------------------

  const browse = { bucket: null, prefix: '', markers: [''], pageIndex: 0 };

  async function loadBuckets() {
    const list = $('bucket-list');
    let buckets;
    try {
      buckets = await getJson(API + 'buckets');
    } catch (error) {
      list.replaceChildren(el('li', { className: 'error', text: `Cannot list buckets: ${error.message}` }));
      return;
    }
    list.replaceChildren(...buckets.map((bucket) => el('li', { className: 'bucket', 'data-name': bucket.name },
      el('button', { type: 'button', className: 'bucket-button', onclick: () => selectBucket(bucket.name) },
        el('span', { className: 'bucket-name', text: bucket.name }),
        el('span', { className: 'muted', text: ` created ${when(bucket.created)}` })))));
    if (buckets.length === 0) list.replaceChildren(el('li', { className: 'muted', text: 'No buckets.' }));
    const names = buckets.map((b) => b.name);
    if (browse.bucket === null && names.length > 0) selectBucket(names[0]);
  }

  function selectBucket(name) {
    browse.bucket = name;
    browse.prefix = $('prefix').value = '';
    browse.markers = [''];
    browse.pageIndex = 0;
    for (const item of $('bucket-list').children) {
      item.classList.toggle('selected', item.dataset.name === name);
    }
    $('current-bucket').textContent = name;
    $('objects').hidden = false;
    loadObjects();
  }

  function downloadUrl(bucket, key) {
    return `${API}download?bucket=${encodeURIComponent(bucket)}&key=${encodeURIComponent(key)}`;
  }

  async function loadObjects() {
    const { bucket, prefix } = browse;
    const marker = browse.markers[browse.pageIndex];
    const query = new URLSearchParams({ bucket, prefix, marker, max_keys: String(PAGE_SIZE) });
    const rows = $('object-list');
    let page;
    try {
      page = await getJson(`${API}objects?${query}`);
    } catch (error) {
      rows.replaceChildren(el('tr', {}, el('td', { colspan: 5, className: 'error', text: error.message })));
      return;
    }
    if (bucket !== browse.bucket || prefix !== browse.prefix) return; // a newer request won
    rows.replaceChildren(...page.objects.map((object) => el('tr', { className: 'object', 'data-key': object.key },
      el('td', { className: 'key', title: `ETag ${object.etag}`, text: object.key }),
      el('td', { className: 'num', title: `${object.size} bytes`, text: bytes(object.size) }),
      el('td', { className: 'modified', title: when(object.last_modified), text: when(object.last_modified).slice(0, 19) }),
      el('td', { text: object.content_type }),
      el('td', {}, el('a', { className: 'download', href: downloadUrl(bucket, object.key), download: object.key.split('/').pop() || 'download', text: 'Download' })))));
    $('objects-empty').hidden = page.objects.length > 0;
    if (page.truncated && browse.markers.length === browse.pageIndex + 1) browse.markers.push(page.next_marker);
    $('next-page').disabled = !page.truncated;
    $('prev-page').disabled = browse.pageIndex === 0;
    $('page-info').textContent = `page ${browse.pageIndex + 1}${page.truncated ? ' (more)' : ''}`;
  }

  $('prefix-form').addEventListener('submit', (event) => {
    event.preventDefault();
    browse.prefix = $('prefix').value;
    browse.markers = [''];
    browse.pageIndex = 0;
    loadObjects();
  });
  $('refresh-objects').addEventListener('click', () => { loadBuckets(); loadObjects(); });
  $('next-page').addEventListener('click', () => { browse.pageIndex += 1; loadObjects(); });
  $('prev-page').addEventListener('click', () => { browse.pageIndex = Math.max(0, browse.pageIndex - 1); loadObjects(); });

  // ---- the callback journal -----------------------------------------------------------------

  const shown = new Map(); // entry id -> its element (kept, so open details and inputs survive)

  function payload(value) {
    if (!value) return '';
    if (typeof value.text === 'string') return value.text;
    if (typeof value.base64 === 'string') return `(binary, Base64) ${value.base64}`;
    return JSON.stringify(value);
  }

  function headerTable(headers) {
    const rows = (headers || []).map(([name, value]) => el('tr', {},
      el('th', { text: name }), el('td', { text: value })));
    return el('table', { className: 'headers' }, el('tbody', {}, ...rows));
  }

  function block(title, ...content) {
    return el('div', { className: 'block' }, el('h4', { text: title }), ...content);
  }

  async function replay(entry, input, status, button) {
    const url = input.value.trim();
    const init = { method: 'POST' };
    if (url) {
      init.headers = { 'Content-Type': 'application/json' };
      init.body = JSON.stringify({ url });
    }
    button.disabled = true;
    status.className = 'replay-status muted';
    status.textContent = 'replaying…';
    try {
      const response = await fetch(`${JOURNAL}/${encodeURIComponent(entry.id)}/replay`, init);
      const body = await response.json().catch(() => null);
      if (!response.ok) {
        throw new Error((body && (body.error || body.message)) || `${response.status} ${response.statusText}`);
      }
      const verdict = body && body.verdict ? body.verdict : 'done';
      status.className = `replay-status ${body && body.verdict === 'failure' ? 'failure' : 'success'}`;
      status.textContent = body && body.id !== undefined ? `replayed as #${body.id}: ${verdict}` : `replayed: ${verdict}`;
    } catch (error) {
      status.className = 'replay-status error';
      status.textContent = `replay failed: ${error.message}`;
    } finally {
      button.disabled = false;
      pollJournal();
    }
  }

  function renderEntry(entry) {
    const upload = entry.upload || {};
    const request = entry.request || {};
    const response = entry.response || {};
    const verdict = entry.verdict === 'success' ? 'success' : 'failure';
    const input = el('input', { type: 'url', className: 'replay-url', placeholder: 'replay to another URL (optional)', 'aria-label': 'replay URL' });
    const status = el('span', { className: 'replay-status muted' });
    const button = el('button', { type: 'button', className: 'replay' , text: 'Replay' });
    button.addEventListener('click', () => replay(entry, input, status, button));
    const where = [upload.bucket, upload.key].filter((part) => part !== undefined).join('/');
    return el('article', { className: `entry ${verdict}`, 'data-id': entry.id },
      el('div', { className: 'entry-head' },
        el('span', { className: 'entry-id', text: `#${entry.id}` }),
        el('span', { className: `verdict ${verdict}`, text: verdict }),
        el('span', { className: 'time', text: when(entry.time) }),
        el('span', { className: 'duration', text: typeof entry.duration_ms === 'number' ? `${entry.duration_ms.toFixed(1)} ms` : '' }),
        entry.replay_of !== undefined && entry.replay_of !== null ? el('span', { className: 'muted', text: `replay of #${entry.replay_of}` }) : null),
      el('div', { className: 'upload' },
        el('span', { className: 'operation', text: upload.operation || '' }),
        ' ',
        el('span', { className: 'object-key', text: where }),
        ' ',
        el('span', { className: 'muted request-id', text: upload.request_id ? `request ${upload.request_id}` : '' })),
      el('div', { className: 'url mono', text: entry.url || '' }),
      entry.message ? el('div', { className: 'message', text: entry.ec ? `${entry.message} (EC ${entry.ec})` : entry.message }) : null,
      el('div', { className: 'entry-actions' }, input, button, status),
      el('details', {},
        el('summary', { text: 'Request and response' }),
        el('div', { className: 'detail-grid' },
          el('div', {},
            block('Request line', el('pre', { className: 'request-line', text: request.line || '' })),
            request.sni ? block('SNI', el('pre', { text: request.sni })) : null,
            block('Request headers', headerTable(request.headers)),
            block('Request body', el('pre', { className: 'request-body', text: payload(request.body) })),
            block('String to sign', el('pre', { className: 'string-to-sign', text: payload(request.string_to_sign) }))),
          el('div', {},
            block('Response status', el('pre', { className: 'response-status', text: response.status === null || response.status === undefined ? '(no response)' : String(response.status) })),
            response.error ? block('Error', el('pre', { className: 'response-error', text: response.error })) : null,
            block('Response headers', headerTable(response.headers)),
            block('Response body', el('pre', { className: 'response-body', text: payload(response.body) }))))));
  }

  function showJournal(entries) {
    const list = $('journal-list');
    const ids = new Set(entries.map((entry) => String(entry.id)));
    for (const [id, node] of shown) {
      if (!ids.has(id)) { node.remove(); shown.delete(id); }
    }
    // Newest first: walk oldest to newest, putting each new entry at the top.
    for (const entry of entries) {
      const id = String(entry.id);
      if (shown.has(id)) continue;
      const node = renderEntry(entry);
      shown.set(id, node);
      list.insertBefore(node, list.firstChild);
    }
    $('journal-count').textContent = String(entries.length);
    $('journal-empty').hidden = entries.length > 0;
  }

  let polling = false;
  async function pollJournal() {
    if (polling) return;
    polling = true;
    try {
      const entries = await getJson(JOURNAL);
      showJournal(entries);
      $('journal-status').textContent = `updated ${new Date().toLocaleTimeString()}`;
      $('journal-status').className = 'muted';
      $('health').textContent = 'connected';
      $('health').className = 'ok';
    } catch (error) {
      $('journal-status').textContent = `cannot read the journal: ${error.message}`;
      $('journal-status').className = 'error';
      $('health').textContent = 'disconnected';
      $('health').className = 'error';
    } finally {
      polling = false;
    }
  }

  setInterval(() => { if ($('live').checked) pollJournal(); }, POLL_MS);
  loadBuckets();
  pollJournal();
})();
