// The History view: counts over time from the archive (GET /api/history), one chart per stream and zone or line,
// drawn as SVG here (nothing is loaded from elsewhere). Each bar carries its numbers (data-bucket, data-series,
// data-count) and a tooltip with them.
"use strict";

const historyState = { open: false, loaded: false };
const palette = ["#4ea1ff", "#ffb547", "#2fbf71", "#e05252", "#b57bff", "#4fd1c5", "#f78fb3", "#c0c7d0"];
const svgNS = "http://www.w3.org/2000/svg";

function svg(tag, attributes) {
  const node = document.createElementNS(svgNS, tag);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
  return node;
}

function bucketLabel(ms, by) {
  const date = new Date(ms);
  const day = date.getUTCFullYear() + "-" + two(date.getUTCMonth() + 1) + "-" + two(date.getUTCDate());
  return by === "day" ? day : day + " " + two(date.getUTCHours()) + ":00";
}

function seriesName(row) {
  const what = row.event === "line_cross" ? row.direction.replace(/_/g, " ") : row.event.replace("zone_", "");
  return what + " · " + row.class;
}

function showView(history) {
  historyState.open = history;
  document.body.classList.toggle("history", history);
  document.getElementById("history").hidden = !history;
  document.getElementById("show-history").classList.toggle("active", history);
  document.getElementById("show-live").classList.toggle("active", !history);
  if (history) loadHistory();
}
document.getElementById("show-live").addEventListener("click", () => showView(false));
document.getElementById("show-history").addEventListener("click", () => showView(true));
for (const id of ["history-range", "history-by", "history-stream"]) {
  document.getElementById(id).addEventListener("change", loadHistory);
}
document.getElementById("history-refresh").addEventListener("click", loadHistory);

async function loadHistory() {
  const status = document.getElementById("history-status");
  const params = new URLSearchParams({
    since: document.getElementById("history-range").value,
    by: document.getElementById("history-by").value,
    stream: document.getElementById("history-stream").value,
  });
  if (token) params.set("token", token);
  status.textContent = "loading…";
  let body;
  try {
    const response = await fetch("/api/history?" + params);
    if (!response.ok) {
      status.textContent = (await response.text()) || response.statusText;
      document.getElementById("history-charts").replaceChildren();
      return;
    }
    body = await response.json();
  } catch (error) {
    status.textContent = "cannot load the history: " + error;
    return;
  }
  fillStreams(body.streams);
  renderHistory(body);
  const total = body.counts.reduce((sum, row) => sum + row.count, 0);
  status.textContent = total + " events in " + body.counts.length + " rows · " + body.archive;
  historyState.loaded = true;
  document.getElementById("history").dataset.loaded = String(Date.now());
}

function fillStreams(streams) {
  const select = document.getElementById("history-stream");
  const chosen = select.value;
  const known = new Set([...select.options].map((option) => option.value));
  for (const stream of streams) {
    if (!known.has(stream)) select.append(new Option(stream, stream));
  }
  select.value = chosen;
}

function renderHistory(body) {
  const charts = new Map(); // "stream\u0000kind\u0000name" -> rows
  for (const row of body.counts) {
    const key = [row.stream, row.kind, row.name].join("\u0000");
    if (!charts.has(key)) charts.set(key, []);
    charts.get(key).push(row);
  }
  const buckets = [];
  const size = body.by === "day" ? 86400000 : 3600000;
  for (let ms = Math.floor(body.from_ms / size) * size; ms < body.until_ms; ms += size) buckets.push(ms);
  const keys = [...charts.keys()].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const container = document.getElementById("history-charts");
  container.replaceChildren(...keys.map((key) => chart(key.split("\u0000"), charts.get(key), buckets, body.by)));
  if (keys.length === 0) container.append(el("p", "no-tracks", "No zone or line events archived in this range."));
}

function chart([stream, kind, name], rows, buckets, by) {
  const card = el("div", "chart");
  card.dataset.stream = stream;
  card.dataset.name = name;
  const series = [...new Set(rows.map(seriesName))].sort();
  const counts = new Map(rows.map((row) => [row.bucket_ms + "|" + seriesName(row), row.count]));
  const total = rows.reduce((sum, row) => sum + row.count, 0);
  const head = el("h3", "", stream + " · " + (kind === "line" ? "line " : "zone ") + name);
  head.append(el("span", "total", total + " events"));
  card.append(head);
  const legend = el("div", "legend");
  series.forEach((name, index) => {
    const item = el("span", "", name);
    const swatch = document.createElement("i");
    swatch.style.background = palette[index % palette.length];
    item.prepend(swatch);
    legend.append(item);
  });
  card.append(legend);
  const width = 400, height = 170, left = 30, bottom = 20, top = 6;
  const max = Math.max(1, ...rows.map((row) => row.count));
  const plot = svg("svg", { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none", role: "img" });
  for (const fraction of [0, 0.5, 1]) {
    const y = top + (height - top - bottom) * (1 - fraction);
    plot.append(svg("line", { x1: left, x2: width, y1: y, y2: y, class: "grid" }));
    const label = svg("text", { x: left - 4, y: y + 3, "text-anchor": "end" });
    label.textContent = String(Math.round(max * fraction));
    plot.append(label);
  }
  const slot = (width - left) / Math.max(1, buckets.length);
  const barWidth = Math.max(1, (slot * 0.8) / Math.max(1, series.length));
  buckets.forEach((bucket, position) => {
    series.forEach((name, index) => {
      const count = counts.get(bucket + "|" + name) || 0;
      if (count === 0) return;
      const barHeight = ((height - top - bottom) * count) / max;
      const bar = svg("rect", {
        class: "bar", x: left + position * slot + slot * 0.1 + index * barWidth, y: height - bottom - barHeight,
        width: barWidth, height: barHeight, fill: palette[index % palette.length],
        "data-bucket": String(bucket), "data-series": name, "data-count": String(count),
      });
      const tip = svg("title");
      tip.textContent = bucketLabel(bucket, by) + " UTC · " + name + ": " + count;
      bar.append(tip);
      plot.append(bar);
    });
  });
  const step = Math.max(1, Math.ceil(buckets.length / 6));
  buckets.forEach((bucket, position) => {
    if (position % step !== 0) return;
    const label = svg("text", { x: left + position * slot + slot / 2, y: height - 6, "text-anchor": "middle" });
    const text = bucketLabel(bucket, by);
    label.textContent = by === "day" ? text.slice(5) : text.slice(11);
    plot.append(label);
  });
  card.append(plot);
  return card;
}
