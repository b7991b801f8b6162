// clawscope dashboard: live updates without a reload. The server renders every page; when new data
// arrives (an event on the SSE stream, or a changed lastIngestAt from /api/v1/health when the stream is
// not served) the current URL is fetched again and #content is patched in place: only the nodes whose
// text or attributes changed are touched (they flash, and the footer says "updated"), so the scroll
// position, open details, focus and charts that did not change are kept. A chart whose data changed is
// redrawn.
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
  function stamp(changed) {
    var el = document.getElementById("updated");
    if (!el) return;
    el.textContent = "updated " + new Date().toLocaleTimeString() + (changed ? " (" + changed + " changed)" : "");
    if (changed) { el.classList.remove("fresh"); void el.offsetWidth; el.classList.add("fresh"); }
  }

  // A small DOM morph (what morphdom/idiomorph do, in 40 lines: the pages are server-rendered tables and
  // cards, matched by position). Returns how many nodes changed.
  function flash(el) { if (el && el.classList) { el.classList.remove("flash"); void el.offsetWidth; el.classList.add("flash"); } }
  function syncAttrs(a, b) {
    var changed = false;
    Array.prototype.slice.call(a.attributes).forEach(function (at) {
      if (at.name !== "open" && at.name !== "class" && !b.hasAttribute(at.name)) { a.removeAttribute(at.name); changed = true; }
    });
    Array.prototype.slice.call(b.attributes).forEach(function (at) {
      if (at.name === "open" || at.name === "class") return;
      if (a.getAttribute(at.name) !== at.value) { a.setAttribute(at.name, at.value); changed = true; }
    });
    var cls = (b.getAttribute("class") || "").replace(/\bflash\b/, "").trim();
    var mine = (a.getAttribute("class") || "").replace(/\bflash\b/, "").trim();
    if (cls !== mine) { a.setAttribute("class", cls); changed = true; }
    return changed;
  }
  function morph(a, b) {
    if (a.nodeType !== b.nodeType || a.nodeName !== b.nodeName) {
      var copy = document.importNode(b, true);
      a.parentNode.replaceChild(copy, a);
      flash(copy.nodeType === 1 ? copy : copy.parentNode);
      return 1;
    }
    if (a.nodeType === 3 || a.nodeType === 8) {
      if (a.nodeValue !== b.nodeValue) { a.nodeValue = b.nodeValue; flash(a.parentNode); return 1; }
      return 0;
    }
    if (a.nodeType !== 1) return 0;
    if (a.classList.contains("uchart")) {  // a chart: redrawn when its data changed, else left alone
      var da = a.querySelector("script"), db = b.querySelector("script");
      if (da && db && da.textContent === db.textContent) return 0;
      a.innerHTML = b.innerHTML;
      if (window.clawscopeCharts) window.clawscopeCharts.drawAll(a.parentNode);
      return 1;
    }
    var n = syncAttrs(a, b) ? 1 : 0;
    var ak = a.childNodes, bk = b.childNodes, i;
    for (i = 0; i < bk.length; i++) {
      if (i < ak.length) n += morph(ak[i], bk[i]);
      else { var add = document.importNode(bk[i], true); a.appendChild(add); flash(add.nodeType === 1 ? add : a); n++; }
    }
    while (ak.length > bk.length) { a.removeChild(a.lastChild); n++; }
    return n;
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
        var x = window.scrollX, y = window.scrollY;
        var changed = morph(here, fresh);
        window.scrollTo(x, y);  // (a morph keeps it; a grown table above the fold would not)
        var live = doc.getElementById("live");  // the ingest health (amber badge) of the fresh page
        if (live && box) { box.setAttribute("data-health", live.getAttribute("data-health")); box.title = live.title; }
        body.setAttribute("data-refreshed", String(Date.now()));
        body.setAttribute("data-changed", String(changed));
        stamp(changed);
      })
      .catch(function () { connected = false; status(); });
  }
  // at most one refresh a second however busy the stream is (each renders the page on the server)
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
