// realtime-analytics dashboard: one WebSocket, one tile per stream. Every text that comes from a message is set
// with textContent (never innerHTML), so stream ids and class names are shown, never interpreted.
"use strict";

const token = new URLSearchParams(location.search).get("token");
const tokenQuery = token ? "?token=" + encodeURIComponent(token) : "";
const grid = document.getElementById("grid");
const tiles = new Map(); // stream id -> { element, view, thumbnail }
let openStream = null;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function tileFor(id) {
  let tile = tiles.get(id);
  if (tile) return tile;
  const element = el("div", "tile");
  element.dataset.id = id;
  const head = el("div", "tile-head");
  const name = el("span", "name", id);
  name.title = id;
  const mark = el("span", "alert-mark");
  mark.hidden = true;
  head.append(name, mark, el("span", "badge", "online"));
  const view = el("div", "view");
  const img = el("img");
  img.alt = "";
  img.hidden = true;
  const canvas = el("canvas");
  const overlay = el("canvas", "overlay");
  view.append(img, canvas, overlay);
  const foot = el("div", "tile-foot");
  foot.append(el("span", "rate", "– msg/s"), el("span", "latency", "– ms"), el("span", "frame", "#–"));
  element.append(head, view, el("ul", "tracks"), el("div", "counters"), foot);
  element.addEventListener("click", () => openModal(id));
  tile = { element, view: null, thumbnail: null };
  tiles.set(id, tile);
  // Keep tiles in id order, numbers compared as numbers (cam-2 before cam-10).
  const ids = [...tiles.keys()].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const next = ids[ids.indexOf(id) + 1];
  grid.insertBefore(element, next ? tiles.get(next).element : null);
  document.getElementById("empty").hidden = true;
  return tile;
}

function renderTracks(list, tracks) {
  list.replaceChildren();
  if (!tracks.length) {
    list.append(el("li", "no-tracks", "no tracks"));
    return;
  }
  for (const track of tracks) {
    const row = el("li", "track-row");
    row.append(
      el("span", "tid", track.track_id >= 0 ? "#" + track.track_id : "–"),
      el("span", "cls", track.class_name || "class " + track.class_id),
      el("span", "conf", Number(track.confidence).toFixed(2)));
    list.append(row);
  }
}

function colorFor(classId) {
  const palette = ["#3ddc97", "#ffb454", "#59c2ff", "#ff6b6b", "#c792ea", "#f07178", "#ffd866", "#7fdbca"];
  return palette[classId % palette.length];
}

// Without previews, draw the boxes from bbox_xyxy on a dark canvas of the frame's size.
function drawBoxes(canvas, view) {
  const width = view.width || 640, height = view.height || 480;
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#0d1117";
  ctx.fillRect(0, 0, width, height);
  ctx.lineWidth = Math.max(2, width / 320);
  ctx.font = Math.round(width / 40 + 6) + "px system-ui, sans-serif";
  for (const track of view.tracks) {
    const [x1, y1, x2, y2] = track.bbox_xyxy;
    ctx.strokeStyle = ctx.fillStyle = colorFor(track.class_id);
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    ctx.fillText((track.track_id >= 0 ? track.track_id + " " : "") + (track.class_name || track.class_id), x1 + 3, Math.max(12, y1 - 4));
  }
}

function total(counts) {
  return Object.values(counts || {}).reduce((sum, n) => sum + n, 0);
}

// Zones (filled outlines) and counting lines (an arrow from `from` to `to`) over the picture, in the frame's
// proportions like the picture itself, so they land where they were drawn in the config.
function drawZones(canvas, view) {
  const width = view.width || 640, height = view.height || 480;
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, width, height);
  ctx.lineWidth = Math.max(2, width / 320);
  ctx.font = Math.round(width / 40 + 6) + "px system-ui, sans-serif";
  for (const zone of view.zones || []) {
    if (zone.polygon.length < 3) continue;
    ctx.beginPath();
    zone.polygon.forEach(([x, y], i) => (i ? ctx.lineTo(x * width, y * height) : ctx.moveTo(x * width, y * height)));
    ctx.closePath();
    ctx.fillStyle = "rgba(89, 194, 255, 0.16)";
    ctx.fill();
    ctx.strokeStyle = ctx.fillStyle = "#59c2ff";
    ctx.stroke();
    const [x, y] = zone.polygon[0];
    ctx.fillText(zone.name + " " + total(zone.occupancy), x * width + 4, y * height + Math.round(width / 40 + 8));
  }
  for (const line of view.lines || []) {
    if (line.from.length !== 2 || line.to.length !== 2) continue;
    const [x1, y1] = [line.from[0] * width, line.from[1] * height], [x2, y2] = [line.to[0] * width, line.to[1] * height];
    ctx.strokeStyle = ctx.fillStyle = "#ffd866";
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x2, y2);
    const angle = Math.atan2(y2 - y1, x2 - x1), head = width / 40;
    ctx.lineTo(x2 - head * Math.cos(angle - 0.4), y2 - head * Math.sin(angle - 0.4));
    ctx.moveTo(x2, y2);
    ctx.lineTo(x2 - head * Math.cos(angle + 0.4), y2 - head * Math.sin(angle + 0.4));
    ctx.stroke();
    ctx.fillText(line.name + " →" + total(line.left_to_right) + " ←" + total(line.right_to_left), x2 + 4, y2);
  }
}

// `path 2 · gate →12 ←9`: who is in each zone now, and each line's crossings (left-to-right, right-to-left as seen
// walking the line from its start to its arrow).
function renderCounters(element, view) {
  const parts = (view.zones || []).map(zone => zone.name + " " + total(zone.occupancy))
    .concat((view.lines || []).map(line => line.name + " →" + total(line.left_to_right) + " ←" + total(line.right_to_left)));
  element.textContent = parts.join(" · ");
  element.hidden = parts.length === 0;
}

function updateStream(view) {
  const tile = tileFor(view.id);
  const element = tile.element;
  if (tile.view && tile.view.run_id !== view.run_id && tile.thumbnail) {
    // The pipeline restarted: the last preview shows the old run's track ids, so boxes are drawn from the new
    // run's tracks until its first preview arrives.
    tile.thumbnail = null;
    element.querySelector("img").hidden = true;
    element.querySelector("canvas:not(.overlay)").hidden = false;
  }
  tile.view = view;
  element.title = view.run_id
    ? "run " + view.run_id + (view.instance ? " on " + view.instance : "") +
      (view.restarts ? " (" + view.restarts + " restarts or moves seen)" : "")
    : "";
  element.classList.toggle("stale", view.state === "stale");
  element.classList.toggle("offline", view.state === "offline");
  element.classList.toggle("waiting", view.state === "waiting");
  element.querySelector(".badge").textContent = view.state;
  element.querySelector(".badge").title = view.reason || "";
  element.querySelector(".rate").textContent = view.rate.toFixed(1) + " msg/s";
  element.querySelector(".latency").textContent = view.latency_ms == null ? "– ms" : view.latency_ms + " ms";
  element.querySelector(".frame").textContent = "#" + view.frame_id;
  renderTracks(element.querySelector(".tracks"), view.tracks);
  renderCounters(element.querySelector(".counters"), view);
  drawZones(element.querySelector("canvas.overlay"), view);
  markTile(tile, view.id);
  if (!tile.thumbnail) drawBoxes(element.querySelector("canvas:not(.overlay)"), view);
  if (openStream === view.id) renderModal();
}

function updateThumbnail(thumbnail) {
  const tile = tileFor(thumbnail.id);
  tile.thumbnail = thumbnail;
  const img = tile.element.querySelector("img");
  img.src = thumbnail.data;
  img.hidden = false;
  tile.element.querySelector("canvas:not(.overlay)").hidden = true;
  if (openStream === thumbnail.id) renderModal();
}

// The alerts panel (from the alerts topic): what fires now, then the newest notifications. A firing alert also
// marks its stream's tile with the rule's name and its severity's colour.
let latestAlerts = { firing: [], recent: [] };

function updateAlerts(message) {
  latestAlerts = { firing: message.firing || [], recent: message.recent || [] };
  renderAlerts();
}

function alertRow(alert, firing) {
  const row = el("li", "alert-row " + alert.severity + (firing ? " firing" : ""));
  const state = firing ? "firing" : alert.state === "resolved" ? "resolved" : alert.repeat ? "repeat " + alert.repeat : "fired";
  row.append(el("span", "event-time", new Date(alert.at_ms).toLocaleTimeString()), el("span", "alert-state", state),
    el("span", "event-stream", alert.stream), el("span", "event-what", alert.text));
  row.title = alert.id;
  return row;
}

function renderAlerts() {
  const list = document.getElementById("alert-list");
  list.replaceChildren();
  const firing = new Set(latestAlerts.firing.map(alert => alert.id));
  for (const alert of latestAlerts.firing) list.append(alertRow(alert, true));
  for (const alert of latestAlerts.recent) if (!firing.has(alert.id)) list.append(alertRow(alert, false));
  document.getElementById("alerts-firing").textContent = latestAlerts.firing.length + " firing";
  document.getElementById("alerts").hidden = latestAlerts.firing.length === 0 && latestAlerts.recent.length === 0;
  for (const [id, tile] of tiles) markTile(tile, id);
}

function markTile(tile, id) {
  const alerts = latestAlerts.firing.filter(alert => alert.stream === id);
  const mark = tile.element.querySelector(".alert-mark");
  const worst = ["critical", "warning", "info"].find(level => alerts.some(alert => alert.severity === level));
  mark.hidden = alerts.length === 0;
  mark.className = "alert-mark " + (worst || "");
  mark.textContent = alerts.length ? "⚠ " + alerts.map(alert => alert.rule).join(", ") : "";
  mark.title = alerts.map(alert => alert.text).join("\n");
  tile.element.classList.toggle("alerting", alerts.length > 0);
}

// The recent-events panel: the newest zone and line events of every stream, filterable by stream and type.
let latestEvents = [];
function updateEvents(events) {
  latestEvents = events;
  const streamFilter = document.getElementById("event-stream");
  const known = new Set([...streamFilter.options].map(option => option.value));
  for (const event of events) {
    if (!known.has(event.stream)) {
      streamFilter.append(new Option(event.stream, event.stream));
      known.add(event.stream);
    }
  }
  renderEvents();
}

function renderEvents() {
  const stream = document.getElementById("event-stream").value, type = document.getElementById("event-type").value;
  const list = document.getElementById("event-list");
  list.replaceChildren();
  for (const event of latestEvents) {
    if ((stream && event.stream !== stream) || (type && event.event !== type)) continue;
    const time = new Date(event.timestamp_ms).toLocaleTimeString();
    const what = [event.event.replace("_", " "), event.name, event.direction ? event.direction.replace(/_/g, " ") : "",
      event.class_name || "", "#" + event.track_id, event.duration_s != null ? event.duration_s.toFixed(1) + " s" : ""];
    const row = el("li", "event-row");
    row.append(el("span", "event-time", time), el("span", "event-stream", event.stream),
      el("span", "event-what", what.filter(Boolean).join(" ")));
    list.append(row);
  }
  document.getElementById("events").hidden = latestEvents.length === 0;
}
document.getElementById("event-stream").addEventListener("change", renderEvents);
document.getElementById("event-type").addEventListener("change", renderEvents);

function updateTotals(totals) {
  document.getElementById("online").textContent = totals.online;
  document.getElementById("streams").textContent = totals.streams;
  document.getElementById("rate").textContent = totals.messages_per_second.toFixed(1);
  document.getElementById("invalid").textContent = totals.invalid;
  const lag = document.getElementById("lag");
  lag.hidden = totals.lag == null;
  lag.textContent = "lag " + totals.lag + (totals.backlog_jumps ? " · backlog skipped " + totals.backlog_jumps + "×" : "");
  lag.title = "messages between the dashboard's consumer and the end of the topic; a backlog is skipped to show what is current";
}

function openModal(id) {
  openStream = id;
  document.getElementById("modal").hidden = false;
  renderModal();
}

function closeModal() {
  openStream = null;
  document.getElementById("modal").hidden = true;
}

function renderModal() {
  const tile = tiles.get(openStream);
  if (!tile) return;
  document.getElementById("modal-title").textContent = openStream;
  const view = document.getElementById("modal-view");
  view.replaceChildren();
  if (tile.thumbnail) {
    const img = el("img");
    img.src = tile.thumbnail.data;
    img.alt = "";
    view.append(img);
  } else if (tile.view) {
    const canvas = el("canvas");
    drawBoxes(canvas, tile.view);
    view.append(canvas);
  }
  if (tile.view) {
    const overlay = el("canvas", "overlay");
    drawZones(overlay, tile.view);
    view.append(overlay);
  }
  renderTracks(document.getElementById("modal-tracks"), tile.view ? tile.view.tracks : []);
}

document.getElementById("modal-close").addEventListener("click", (event) => { event.stopPropagation(); closeModal(); });
document.getElementById("modal").addEventListener("click", (event) => { if (event.target.id === "modal") closeModal(); });
document.addEventListener("keydown", (event) => { if (event.key === "Escape") closeModal(); });

function setConnection(state, text) {
  const pill = document.getElementById("connection");
  pill.className = "pill " + state;
  pill.textContent = text;
}

// Replay: this browser alone looks back (`?at=` in the URL, or the controls); the server plays the topic from
// that time into this socket instead of the live board, until "Back to live".
const replay = { active: false, atMs: null, speed: 1, dropUntil: null };
let socket = null;

function send(request) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(request));
}

function clearBoard() {
  tiles.clear();
  grid.replaceChildren();
  closeModal();
  // The events panel shows the events of the board it belongs to: the replay's, or the live ones.
  latestEvents = [];
  renderEvents();
  latestAlerts = { firing: [], recent: [] };
  renderAlerts();
}

function startReplay(from, speed) {
  replay.active = true;
  replay.speed = speed;
  // Updates already on their way from the live board are dropped until the session's first status.
  replay.dropUntil = "replay";
  clearBoard();
  const params = new URLSearchParams(location.search);
  params.set("at", from);
  params.set("speed", speed);
  history.replaceState(null, "", "?" + params.toString());
  send({ replay: { from: String(from), speed } });
}

function backToLive() {
  replay.active = false;
  replay.atMs = null;
  replay.dropUntil = "live";
  clearBoard();
  const params = new URLSearchParams(location.search);
  params.delete("at");
  params.delete("speed");
  const query = params.toString();
  history.replaceState(null, "", query ? "?" + query : location.pathname);
  send({ replay: { control: "live" } });
  renderReplay(null);
}

function two(n) { return String(n).padStart(2, "0"); }

function renderReplay(status) {
  const banner = document.getElementById("replay-banner");
  if (socket && socket.readyState === WebSocket.OPEN) setConnection("live", replay.active ? "connected" : "live");
  const playing = status && status.state === "playing", paused = status && status.state === "paused";
  document.body.classList.toggle("replaying", replay.active);
  document.getElementById("replay-start").hidden = replay.active;
  document.getElementById("replay-live").hidden = !replay.active;
  document.getElementById("replay-pause").hidden = !playing;
  document.getElementById("replay-play").hidden = !paused;
  document.getElementById("replay-step").hidden = !paused;
  if (!status) { banner.hidden = true; return; }
  banner.hidden = false;
  banner.classList.toggle("failed", status.state === "failed");
  if (status.state === "failed") {
    banner.textContent = "replay not possible: " + (status.reason || "unknown reason");
    return;
  }
  const at = new Date(status.at_ms);
  const clock = two(at.getHours()) + ":" + two(at.getMinutes()) + ":" + two(at.getSeconds());
  banner.textContent = "replay " + clock + " (" + at.toLocaleDateString() + ", " + status.speed + "×, " +
    status.state + ", " + status.messages + " messages)" + (status.reason ? ": " + status.reason : "");
}

function updateReplay(status) {
  if (status.state === "live") return;
  if (status.state === "failed") {
    replay.active = false;
    const params = new URLSearchParams(location.search);
    params.delete("at");
    history.replaceState(null, "", params.toString() ? "?" + params.toString() : location.pathname);
  } else if (status.at_ms) {
    replay.atMs = status.at_ms;
    replay.speed = status.speed;
  }
  renderReplay(status);
}

document.getElementById("replay-start").addEventListener("click", () => {
  const input = document.getElementById("replay-at").value;
  const from = input ? new Date(input).getTime() : Date.now() - 5 * 60 * 1000;
  startReplay(from, Number(document.getElementById("replay-speed").value));
});
document.getElementById("replay-live").addEventListener("click", backToLive);
document.getElementById("replay-pause").addEventListener("click", () => send({ replay: { control: "pause" } }));
document.getElementById("replay-play").addEventListener("click", () => send({ replay: { control: "play" } }));
document.getElementById("replay-step").addEventListener("click", () => send({ replay: { control: "step" } }));
document.getElementById("replay-speed").addEventListener("change", (event) => {
  if (replay.active) send({ replay: { control: "play", speed: Number(event.target.value) } });
});

let retryDelay = 500;
function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  socket = new WebSocket(scheme + location.host + "/ws" + tokenQuery);
  setConnection("connecting", "connecting…");
  socket.onopen = () => {
    retryDelay = 500;
    setConnection("live", "live");
    // A replay in the URL (a link, or a reconnect during a replay) opens again where it was.
    const params = new URLSearchParams(location.search);
    const at = replay.atMs || params.get("at");
    const speed = replay.atMs ? replay.speed : Number(params.get("speed")) || 1;
    if (at) {
      document.getElementById("replay-speed").value = String(speed);
      startReplay(at, speed);
    }
  };
  socket.onmessage = (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch { return; }
    if (replay.dropUntil) {
      if (message.type !== "replay") return;
      const accepted = replay.dropUntil === "replay"
        ? message.state !== "live"
        : message.state === "live" || message.state === "failed";
      if (!accepted) return;
      replay.dropUntil = null;
    }
    if (message.type === "stream") updateStream(message);
    else if (message.type === "thumbnail") updateThumbnail(message);
    else if (message.type === "totals") updateTotals(message);
    else if (message.type === "events") updateEvents(message.events);
    else if (message.type === "alerts") updateAlerts(message);
    else if (message.type === "replay") updateReplay(message);
  };
  socket.onclose = () => {
    setConnection("reconnecting", "reconnecting in " + (retryDelay / 1000).toFixed(1) + " s");
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 10000);
  };
}
connect();
