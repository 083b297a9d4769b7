// dronewatch's live map: stored events from GET /v1/events, new ones from the SSE stream
// GET /v1/stream under the same filters, the report behind an event from GET /v1/articles/{id}.
// Incidents (GET /v1/incidents, and `incident` messages of the stream) are rings under the events,
// sized by their number of sources; a click lists their claims (GET /v1/incidents/{id}).
// Plain JS, no build step; Leaflet and Leaflet.markercluster are vendored under vendor/.
// When the gateway wants a key for reads (GATEWAY_REQUIRE_KEY_FOR_READS), the page asks for one,
// keeps it in this tab's sessionStorage and sends it as `Authorization: Bearer`, never in a URL;
// with a key the stream is read with fetch() (an EventSource cannot send headers).
"use strict";

(function () {
  const TYPES = { interception: "interception", attack: "attack", impact: "impact", debris_fall: "debris fall" };
  const MAX_EVENTS = 5000;   // fetched per filter; the list shows the newest MAX_LISTED
  const MAX_LISTED = 500;

  const byId = new Map();        // event id -> event
  const markers = new Map();     // event id -> Leaflet marker
  const fresh = new Set();       // ids that arrived live, highlighted once in the list
  const incidents = new Map();   // incident id -> { incident, ring }
  let selectedId = null;
  let source = null;             // the live stream: { close() }
  let generation = 0;            // bumps on every reload, so late answers of an old one are dropped

  // ---- the map ----------------------------------------------------------------------------
  const map = L.map("map", { preferCanvas: true, worldCopyJump: true, minZoom: 2, maxZoom: 18 }).setView([50.5, 36], 5);
  map.createPane("base").style.zIndex = 250;
  const cluster = L.markerClusterGroup({ maxClusterRadius: 40, showCoverageOnHover: false });
  map.addLayer(cluster);
  map.createPane("incidents").style.zIndex = 390;  // above the boundaries, under the event markers
  const incidentLayer = L.layerGroup().addTo(map);
  const tiles = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    { maxZoom: 18, attribution: "&copy; OpenStreetMap contributors" });
  map.attributionControl.addAttribution("Boundaries: Natural Earth");

  const legend = L.control({ position: "bottomleft" });
  legend.onAdd = () => {
    const div = L.DomUtil.create("div", "legend");
    div.innerHTML = Object.entries(TYPES).map(([t, label]) => `<div><span class="${t}"></span>${label}</div>`).join("")
      + '<div><span class="ring"></span>incident (size: sources)</div>';
    return div;
  };
  legend.addTo(map);

  fetch("data/basemap.geojson").then((r) => r.json()).then((geo) => {
    L.geoJSON(geo, {
      pane: "base",
      interactive: false,
      style: (f) => f.properties.level === "country"
        ? { color: "#8996a3", weight: 1, fillColor: "#f8fafc", fillOpacity: 1 }
        : { color: "#aab4be", weight: 0.6, fill: false },
    }).addTo(map);
    const select = document.querySelector("select[name=region]");
    const regions = geo.features.filter((f) => f.properties.level === "admin1" && f.properties.code);
    const countries = [...new Set(regions.map((f) => f.properties.country))].sort();
    for (const c of countries) {
      const group = document.createElement("optgroup");
      group.label = c;
      group.appendChild(new Option(`${c}: all regions`, `country:${c}`));
      regions.filter((f) => f.properties.country === c)
        .sort((a, b) => (a.properties.name || "").localeCompare(b.properties.name || ""))
        .forEach((f) => group.appendChild(new Option(`${f.properties.name || f.properties.code} (${f.properties.code})`, f.properties.code)));
      select.appendChild(group);
    }
  });

  document.getElementById("online-tiles").addEventListener("change", (e) => {
    if (e.target.checked) tiles.addTo(map); else map.removeLayer(tiles);
  });

  // ---- the API key -------------------------------------------------------------------------
  const KEY_ITEM = "dronewatch.apiKey";
  const keyForm = document.getElementById("key-form");

  function apiKey() {
    try { return sessionStorage.getItem(KEY_ITEM); } catch (err) { return null; }
  }

  function withKey(headers) {
    const key = apiKey();
    return key ? { ...headers, Authorization: `Bearer ${key}` } : { ...headers };
  }

  function askForKey(status) {
    keyForm.hidden = false;
    document.getElementById("key-note").textContent = apiKey()
      ? `the key was refused (${status})` : "this gateway needs an API key to read";
    keyForm.elements.key.focus();
  }

  keyForm.addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem(KEY_ITEM, keyForm.elements.key.value.trim());
    keyForm.reset();
    keyForm.hidden = true;
    reload();
  });

  class KeyNeeded extends Error {}

  // GET `path` with the key, if there is one; a 401 or 403 asks for a (better) key.
  async function api(path, headers) {
    const resp = await fetch(path, { headers: withKey(headers || {}) });
    if (resp.status === 401 || resp.status === 403) {
      askForKey(resp.status);
      throw new KeyNeeded(`an API key with the read scope is needed (${resp.status})`);
    }
    return resp;
  }

  // ---- the live stream ---------------------------------------------------------------------
  // `on`: open(), trouble(gaveUp), events(msg), incident(msg), reset(), unauthorized(status). Returns { close }.
  function openStream(url, on) {
    return apiKey() ? window.dronewatchSSE.fetchStream(url, () => withKey({}), on) : eventSourceStream(url, on);
  }

  function eventSourceStream(url, on) {
    const es = new EventSource(url);
    es.onopen = () => on.open();
    es.onerror = () => on.trouble(es.readyState === EventSource.CLOSED);  // CLOSED: refused (e.g. 503)
    es.addEventListener("events", (e) => on.events(JSON.parse(e.data)));
    es.addEventListener("incident", (e) => on.incident(JSON.parse(e.data)));
    es.addEventListener("reset", () => on.reset());
    return { close: () => es.close() };
  }

  // ---- filters -> query parameters ---------------------------------------------------------
  const form = document.getElementById("filters");

  function filterParams() {
    const data = new FormData(form);
    const params = new URLSearchParams();
    for (const name of ["since", "until"]) {
      const v = data.get(name);
      if (v) params.set(name, new Date(v).toISOString());
    }
    for (const name of ["type", "weapon"]) {
      const v = data.get(name);
      if (v) params.set(name, v);
    }
    const region = data.get("region");
    if (region) params.set(region.startsWith("country:") ? "country" : "admin1", region.replace("country:", ""));
    return params;
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); reload(); });
  form.addEventListener("reset", () => setTimeout(reload, 0));

  // ---- the data ----------------------------------------------------------------------------
  function when(ev) {
    return (ev.occurred_at && ev.occurred_at.start) || ev.published_at || "";
  }

  function place(ev) {
    const loc = ev.location || {};
    return loc.name || loc.mention || "unknown place";
  }

  function removeArticle(articleId) {
    for (const [id, ev] of byId) {
      if (ev.article_id !== articleId) continue;
      byId.delete(id);
      const m = markers.get(id);
      if (m && cluster.hasLayer(m)) cluster.removeLayer(m);
      markers.delete(id);
    }
  }

  function addEvent(ev) {
    byId.set(ev.id, ev);
    const loc = ev.location || {};
    if (loc.lat == null || loc.lon == null) return;
    const icon = L.divIcon({ className: `dw-marker ${ev.type}`, iconSize: [14, 14], html: "" });
    const m = L.marker([loc.lat, loc.lon], { icon, title: `${TYPES[ev.type]}: ${place(ev)}` });
    m.on("click", () => select(ev.id));
    markers.set(ev.id, m);
    cluster.addLayer(m);
  }

  // One stream message: an article's complete set of matching events, replacing the previous one.
  function applyArticle(msg, live) {
    removeArticle(msg.article_id);
    for (const ev of msg.events) {
      addEvent(ev);
      if (live) fresh.add(ev.id);
    }
    renderList();
  }

  // ---- incidents ---------------------------------------------------------------------------
  const COLOURS = { interception: "#2563eb", attack: "#dc2626", impact: "#ea580c", debris_fall: "#7c3aed" };

  function ringRadius(sources) {
    return 8 + 6 * Math.sqrt(Math.max(0, (sources || 1) - 1));
  }

  function removeIncident(id) {
    const held = incidents.get(id);
    if (held && held.ring) incidentLayer.removeLayer(held.ring);
    incidents.delete(id);
  }

  function putIncident(inc) {
    removeIncident(inc.id);
    const loc = inc.location || {};
    if (loc.lat == null || loc.lon == null) { incidents.set(inc.id, { incident: inc, ring: null }); return; }
    const ring = L.circleMarker([loc.lat, loc.lon], {
      pane: "incidents", radius: ringRadius(inc.sources), color: COLOURS[inc.type] || "#333", weight: 2,
      fillOpacity: 0.12,
    });
    ring.bindPopup("loading the claims…", { maxWidth: 360 });
    ring.on("popupopen", () => showClaims(inc.id));
    incidentLayer.addLayer(ring);
    incidents.set(inc.id, { incident: inc, ring });
  }

  // One stream message: an incident's new state; `matches: false` drops it (retracted, merged, filtered out).
  function applyIncident(msg) {
    if (msg.matches) putIncident(msg.incident); else removeIncident(msg.id);
  }

  async function showClaims(id) {
    const held = incidents.get(id);
    if (!held || !held.ring) return;
    let html;
    try {
      const resp = await api(`v1/incidents/${encodeURIComponent(id)}`);
      html = resp.ok ? incidentHtml(await resp.json()) : `the incident could not be loaded (${resp.status})`;
    } catch (err) {
      html = esc(String(err.message || err));
    }
    held.ring.setPopupContent(html);
  }

  function incidentHtml(inc) {
    const range = inc.count_range ? ` (reports say ${inc.count_range[0]}–${inc.count_range[1]})` : "";
    const toll = [inc.killed != null ? `${inc.killed} killed` : "", inc.injured != null ? `${inc.injured} injured` : ""]
      .filter(Boolean).join(", ");
    const claims = (inc.claims || []).map((c) => `<li class="claim" data-event="${esc(c.event_id)}">`
      + `<b>${esc(c.claimed_by || c.source || "unnamed source")}</b>`
      + `${c.count != null ? ` · ${esc(c.count)}` : ""}${c.killed != null ? ` · ${esc(c.killed)} killed` : ""}`
      + `${c.injured != null ? ` · ${esc(c.injured)} injured` : ""}`
      + `<div class="meta">${c.published_at ? esc(new Date(c.published_at).toLocaleString()) + " · " : ""}`
      + `${esc(c.article_id)}</div></li>`).join("");
    return `<div class="incident" data-id="${esc(inc.id)}"><b>${esc(TYPES[inc.type] || inc.type)}</b>`
      + `${inc.count != null ? ` · ${esc(inc.count)}${esc(range)}` : ""} ${esc(inc.weapon)} · ${esc(place(inc))}`
      + `<div class="meta">${esc(inc.sources)} source${inc.sources === 1 ? "" : "s"}${toll ? " · " + esc(toll) : ""}</div>`
      + `<ol class="claims">${claims}</ol></div>`;
  }

  async function fetchEvents(params, gen, path) {
    path = path || "v1/events";
    const out = [];
    let cursor = null;
    do {
      const q = new URLSearchParams(params);
      q.set("limit", "1000");
      if (cursor) q.set("cursor", cursor);
      const resp = await api(`${path}?${q}`, { Accept: "application/json" });
      if (!resp.ok) throw new Error(`GET /${path}: ${resp.status} ${(await resp.json()).detail || ""}`);
      const page = await resp.json();
      if (gen !== generation) return null;
      out.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && out.length < MAX_EVENTS);
    return { items: out, truncated: Boolean(cursor) };
  }

  // Opens the stream first and holds its messages until the stored events are in, so nothing
  // that arrives in between is lost; then replays the held messages over the stored set.
  async function reload() {
    const gen = ++generation;
    const params = filterParams();
    const held = [];
    let loading = true;
    if (source) source.close();
    setStatus(false, "connecting");
    source = openStream(`v1/stream?${params}`, {
      open: () => setStatus(true, "live"),
      trouble: (gaveUp) => {
        setStatus(false, gaveUp ? "offline" : "reconnecting");
        // Given up (e.g. 503): try again later, unless the page is waiting for a key.
        if (gaveUp && keyForm.hidden) setTimeout(() => { if (gen === generation) reload(); }, 5000);
      },
      events: (msg) => { if (loading) held.push(() => applyArticle(msg, true)); else applyArticle(msg, true); },
      incident: (msg) => { if (loading) held.push(() => applyIncident(msg)); else applyIncident(msg); },
      reset: () => reload(),
      unauthorized: (status) => { setStatus(false, "needs a key"); askForKey(status); },
    });

    const note = document.getElementById("list-note");
    note.textContent = "loading…";
    let result;
    let found;
    try {
      [result, found] = await Promise.all([fetchEvents(params, gen), fetchEvents(params, gen, "v1/incidents")]);
    } catch (err) {
      note.textContent = String(err.message || err);
      return;
    }
    if (result === null || found === null) return;
    incidentLayer.clearLayers();
    incidents.clear();
    found.items.forEach(putIncident);
    byId.clear();
    markers.clear();
    cluster.clearLayers();
    fresh.clear();
    result.items.forEach(addEvent);
    loading = false;
    held.forEach((apply) => apply());
    note.textContent = result.truncated ? `(the first ${MAX_EVENTS})` : "";
    renderList();
  }

  function setStatus(on, text) {
    const el = document.getElementById("live-status");
    el.textContent = text;
    el.className = `status ${on ? "on" : "off"}`;
  }

  // ---- the list ----------------------------------------------------------------------------
  function renderList() {
    const list = document.getElementById("list");
    const events = [...byId.values()].sort((a, b) => when(b).localeCompare(when(a)));
    document.getElementById("count").textContent = String(events.length);
    list.replaceChildren(...events.slice(0, MAX_LISTED).map((ev) => {
      const li = document.createElement("li");
      li.className = "event";
      li.dataset.id = ev.id;
      li.dataset.article = ev.article_id;
      if (fresh.has(ev.id)) li.classList.add("fresh");
      if (ev.id === selectedId) li.classList.add("selected");
      const count = ev.count != null ? `${ev.count} × ` : "";
      const t = when(ev) ? new Date(when(ev)).toLocaleString() : "time unknown";
      li.innerHTML = `<span class="badge ${ev.type}">${TYPES[ev.type]}</span> ${count}${esc(ev.weapon)} · `
        + `<b>${esc(place(ev))}</b><div class="meta">${esc(t)}${ev.source ? " · " + esc(ev.source) : ""}</div>`;
      li.addEventListener("click", () => select(ev.id, true));
      return li;
    }));
    fresh.clear();
  }

  // ---- the report --------------------------------------------------------------------------
  async function select(eventId, zoom) {
    selectedId = eventId;
    const ev = byId.get(eventId);
    if (!ev) return;
    document.querySelectorAll("#list li.selected").forEach((li) => li.classList.remove("selected"));
    const li = document.querySelector(`#list li[data-id="${CSS.escape(eventId)}"]`);
    if (li) li.classList.add("selected");
    const m = markers.get(eventId);
    // Not the cluster's zoomToShowLayer: its pending callback throws when a reload empties the
    // cluster before its animation ends. Zoomed in this far, the marker stands on its own or in a
    // cluster small enough to click.
    if (m && zoom) map.setView(m.getLatLng(), Math.max(map.getZoom(), 13));

    const panel = document.getElementById("report");
    const text = document.getElementById("report-text");
    panel.hidden = false;
    document.getElementById("report-title").textContent = `${TYPES[ev.type]}: ${place(ev)}`;
    text.textContent = "loading the report…";
    let resp;
    try {
      resp = await api(`v1/articles/${encodeURIComponent(ev.article_id)}`);
    } catch (err) {
      text.textContent = String(err.message || err);
      return;
    }
    if (selectedId !== eventId) return;
    if (!resp.ok) { text.textContent = `the report could not be loaded (${resp.status})`; return; }
    const article = await resp.json();
    document.getElementById("report-meta").textContent = [article.title, article.source,
      article.published_at && new Date(article.published_at).toLocaleString()].filter(Boolean).join(" · ");
    text.innerHTML = highlight(article.text || "", article.events || [], eventId);
    const first = text.querySelector("mark.this");
    if (first) first.scrollIntoView({ block: "nearest" });
  }

  // The report's text with every evidence span marked; the selected event's spans stand out.
  function highlight(textValue, events, eventId) {
    const spans = new Map();
    for (const ev of events) {
      for (const e of ev.evidence || []) {
        const key = `${e.span[0]}:${e.span[1]}`;
        const s = spans.get(key) || { start: e.span[0], end: e.span[1], fields: new Set(), mine: false };
        s.fields.add(e.field);
        s.mine = s.mine || ev.id === eventId;
        spans.set(key, s);
      }
    }
    const ordered = [...spans.values()].sort((a, b) => a.start - b.start || b.end - a.end);
    let html = "";
    let at = 0;
    for (const s of ordered) {
      if (s.start < at || s.end > textValue.length) continue; // overlaps one already marked
      const fields = [...s.fields].join(", ");
      html += esc(textValue.slice(at, s.start))
        + `<mark class="${s.mine ? "this" : ""}" title="${esc(fields)}" data-fields="${esc(fields)}">`
        + `${esc(textValue.slice(s.start, s.end))}</mark>`;
      at = s.end;
    }
    return html + esc(textValue.slice(at));
  }

  document.getElementById("report-close").addEventListener("click", () => {
    document.getElementById("report").hidden = true;
    selectedId = null;
    renderList();
  });

  function esc(value) {
    return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  // For tests and the curious: what the page holds.
  window.dronewatch = {
    markerCount: () => cluster.getLayers().length,
    eventIds: () => [...byId.keys()],
    incidentIds: () => [...incidents.keys()],
    incidentRadius: (id) => { const h = incidents.get(id); return h && h.ring ? h.ring.getRadius() : null; },
    openIncident: (id) => { const h = incidents.get(id); if (h && h.ring) h.ring.openPopup(); },
    select,
  };

  reload();
})();
