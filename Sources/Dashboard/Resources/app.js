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
  head.append(name, el("span", "badge", "online"));
  const view = el("div", "view");
  const img = el("img");
  img.alt = "";
  img.hidden = true;
  const canvas = el("canvas");
  view.append(img, canvas);
  const foot = el("div", "tile-foot");
  foot.append(el("span", "rate", "– msg/s"), el("span", "latency", "– ms"), el("span", "frame", "#–"));
  element.append(head, view, el("ul", "tracks"), foot);
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

function updateStream(view) {
  const tile = tileFor(view.id);
  const element = tile.element;
  if (tile.view && tile.view.run_id !== view.run_id && tile.thumbnail) {
    // The pipeline restarted: the last preview shows the old run's track ids, so boxes are drawn from the new
    // run's tracks until its first preview arrives.
    tile.thumbnail = null;
    element.querySelector("img").hidden = true;
    element.querySelector("canvas").hidden = false;
  }
  tile.view = view;
  element.title = view.run_id ? "run " + view.run_id + (view.restarts ? " (" + view.restarts + " restarts seen)" : "") : "";
  element.classList.toggle("stale", view.state === "stale");
  element.classList.toggle("offline", view.state === "offline");
  element.classList.toggle("waiting", view.state === "waiting");
  element.querySelector(".badge").textContent = view.state;
  element.querySelector(".badge").title = view.reason || "";
  element.querySelector(".rate").textContent = view.rate.toFixed(1) + " msg/s";
  element.querySelector(".latency").textContent = view.latency_ms == null ? "– ms" : view.latency_ms + " ms";
  element.querySelector(".frame").textContent = "#" + view.frame_id;
  renderTracks(element.querySelector(".tracks"), view.tracks);
  if (!tile.thumbnail) drawBoxes(element.querySelector("canvas"), view);
  if (openStream === view.id) renderModal();
}

function updateThumbnail(thumbnail) {
  const tile = tileFor(thumbnail.id);
  tile.thumbnail = thumbnail;
  const img = tile.element.querySelector("img");
  img.src = thumbnail.data;
  img.hidden = false;
  tile.element.querySelector("canvas").hidden = true;
  if (openStream === thumbnail.id) renderModal();
}

function updateTotals(totals) {
  document.getElementById("online").textContent = totals.online;
  document.getElementById("streams").textContent = totals.streams;
  document.getElementById("rate").textContent = totals.messages_per_second.toFixed(1);
  document.getElementById("invalid").textContent = totals.invalid;
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

let retryDelay = 500;
function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + location.host + "/ws" + tokenQuery);
  setConnection("connecting", "connecting…");
  socket.onopen = () => {
    retryDelay = 500;
    setConnection("live", "live");
  };
  socket.onmessage = (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch { return; }
    if (message.type === "stream") updateStream(message);
    else if (message.type === "thumbnail") updateThumbnail(message);
    else if (message.type === "totals") updateTotals(message);
  };
  socket.onclose = () => {
    setConnection("reconnecting", "reconnecting in " + (retryDelay / 1000).toFixed(1) + " s");
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 10000);
  };
}
connect();
