// clawscope dashboard: live updates without a reload. The server renders every page; when new data
// arrives (an event on the SSE stream, or a changed lastIngestAt from /api/v1/health when the stream is
// not served) the current URL is fetched again and #content is swapped in place.
(function () {
  "use strict";
  var body = document.body;
  var mode = body.getAttribute("data-live");
  var box = document.getElementById("live");
  var toggle = document.getElementById("live-toggle");
  var paused = false, connected = false, pending = false, timer = null;
  var EVENTS = ["session.updated", "llm.call", "tool.call", "problem", "message"];

  function show(state) {
    if (!box) return;
    box.setAttribute("data-state", state);
    box.querySelector(".txt").textContent = state;
  }
  function status() { show(paused ? "paused" : connected ? "live" : "disconnected"); }
  function stamp() {
    var el = document.getElementById("updated");
    if (el) el.textContent = "updated " + new Date().toLocaleTimeString();
  }

  var lastRefresh = 0;
  function refresh() {
    timer = null;
    if (paused) { pending = true; return; }
    pending = false;
    lastRefresh = Date.now();
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Clawscope-Refresh": "1" } })
      .then(function (r) {
        if (r.redirected || !r.ok) throw new Error("refresh failed: " + r.status);
        return r.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("content"), here = document.getElementById("content");
        if (!fresh || !here) return;
        var open = {};
        here.querySelectorAll("details[open]").forEach(function (d, i) { open[i] = true; });
        here.innerHTML = fresh.innerHTML;
        var live = doc.getElementById("live");  // the ingest health (amber badge) of the fresh page
        if (live && box) { box.setAttribute("data-health", live.getAttribute("data-health")); box.title = live.title; }
        here.querySelectorAll("details").forEach(function (d, i) { if (open[i]) d.open = true; });
        body.setAttribute("data-refreshed", String(Date.now()));
        stamp();
      })
      .catch(function () { connected = false; status(); });
  }
  // at most one refresh a second however busy the stream is (each re-renders the whole page)
  function schedule() {
    if (!timer) timer = setTimeout(refresh, Math.max(250, 1000 - (Date.now() - lastRefresh)));
  }

  function sse() {
    var es = new EventSource(body.getAttribute("data-stream"), { withCredentials: true });
    es.onopen = function () { connected = true; status(); };
    es.onerror = function () { connected = false; status(); };
    EVENTS.forEach(function (name) { es.addEventListener(name, schedule); });
  }

  function poll() {
    var last = null;
    function tick() {
      fetch("/api/v1/health", { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (h) {
          connected = true; status();
          var at = h && h.ingest ? h.ingest.lastIngestAt : null;
          if (last !== null && at !== last) schedule();
          last = at;
        })
        .catch(function () { connected = false; status(); })
        .then(function () { setTimeout(tick, document.hidden ? 5000 : 1000); });
    }
    tick();
  }

  if (toggle) {
    toggle.addEventListener("click", function () {
      paused = !paused;
      toggle.textContent = paused ? "resume" : "pause";
      status();
      if (!paused && pending) schedule();
    });
  }
  stamp();
  if (mode === "sse") sse();
  else if (mode === "poll") poll();
  else if (box) box.style.display = "none";
})();
