// The live feed: one WebSocket to /api/v1/live; when it fails, polling of GET /api/v1/live every few
// seconds until the socket is back. Status: "live" (socket), "polling" (HTTP), "disconnected" (neither).
const POLL_MS = 2000;
const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 5000;
/** A socket silent this long is treated as dead (main sends a snapshot every second). */
const SILENCE_MS = 5000;

export class Feed {
  constructor({ onSnapshot, onStatus, onAuth, getKey }) {
    this.onSnapshot = onSnapshot;
    this.onStatus = onStatus;
    this.onAuth = onAuth;
    this.getKey = getKey;
    this.ws = null;
    this.status = 'connecting';
    this.backoff = RECONNECT_MIN_MS;
    this.lastMessageAt = 0;
    this.pollTimer = null;
    this.reconnectTimer = null;
    this.watchdog = setInterval(() => this.#checkSilence(), 1000);
    this.#connect();
  }

  /** The key changed: an open socket sends it now (a new one sends it on open). */
  authenticate() {
    const key = this.getKey();
    if (key && this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ auth: key }));
    else if (!key) this.ws?.close();
  }

  #setStatus(s) {
    if (s === this.status) return;
    this.status = s;
    this.onStatus(s);
  }

  #connect() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    let ws;
    try {
      ws = new WebSocket(`${scheme}://${location.host}/api/v1/live`);
    } catch {
      this.#socketDown();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.backoff = RECONNECT_MIN_MS;
      this.lastMessageAt = Date.now();
      this.#stopPolling();
      this.#setStatus('live');
      const key = this.getKey();
      if (key) ws.send(JSON.stringify({ auth: key }));
    };
    ws.onmessage = (ev) => {
      this.lastMessageAt = Date.now();
      const msg = JSON.parse(ev.data);
      if (msg.type === 'snapshot') this.onSnapshot(msg);
      else if (msg.type === 'auth') this.onAuth(msg.ok, msg.error?.code);
    };
    ws.onclose = () => {
      if (this.ws === ws) this.#socketDown();
    };
  }

  #socketDown() {
    this.ws = null;
    if (this.status === 'live') this.#setStatus('connecting');
    this.#startPolling();
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.#connect(), this.backoff);
    this.backoff = Math.min(RECONNECT_MAX_MS, this.backoff * 2);
  }

  #checkSilence() {
    if (this.ws && this.status === 'live' && Date.now() - this.lastMessageAt > SILENCE_MS) this.ws.close();
  }

  #startPolling() {
    if (this.pollTimer) return;
    const poll = async () => {
      const key = this.getKey();
      try {
        const r = await fetch('/api/v1/live', {
          headers: key ? { 'X-API-Key': key } : {},
          cache: 'no-store',
        });
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        const snap = await r.json();
        if (this.pollTimer) {
          this.#setStatus('polling');
          this.onSnapshot(snap);
        }
      } catch {
        if (this.pollTimer) this.#setStatus('disconnected');
      }
    };
    this.pollTimer = setInterval(poll, POLL_MS);
    void poll();
  }

  #stopPolling() {
    clearInterval(this.pollTimer);
    this.pollTimer = null;
  }
}
