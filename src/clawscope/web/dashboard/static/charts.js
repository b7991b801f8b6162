// clawscope charts: stacked bars over time drawn by uPlot (vendor/uplot, pinned and served from the
// package). Each `.uchart` element holds its data as JSON (web/dashboard/chartdata.py): bucket times,
// zero-filled; one series per stacked value. Axes with units, a tooltip with every value of the bucket
// under the cursor, and a click on a bar opens the sessions behind it (filters in the URL).
(function () {
  "use strict";
  var PALETTE = ["#4f7cff", "#22b07d", "#f29d38", "#d9534f", "#9b6cf0", "#2bb3c0", "#c9a227", "#8a8f98"];

  function fmt(unit, v) {
    if (v == null) return "–";
    if (unit === "USD") return "$" + (Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(4));
    var s = Math.abs(v) >= 1e6 ? (v / 1e6).toFixed(1) + "M" : Math.abs(v) >= 1e3 ? (v / 1e3).toFixed(1) + "k" : String(Math.round(v * 10) / 10);
    return s + " " + unit;
  }
  function axisFmt(unit, v) {
    if (unit === "USD") return "$" + (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(3));
    return Math.abs(v) >= 1e6 ? (v / 1e6) + "M" : Math.abs(v) >= 1e3 ? (v / 1e3) + "k" : String(v);
  }
  function day(sec) { return new Date(sec * 1000).toISOString().slice(0, 10); }
  function label(d, sec) {
    var iso = new Date(sec * 1000).toISOString();
    return d.bucket === "hour" ? iso.slice(0, 13).replace("T", " ") + ":00 UTC" : iso.slice(0, 10);
  }

  // Stacking: uPlot draws series as given, so each series is drawn as the running sum of itself and
  // those under it, the top one first (the stacking recipe of uPlot's own demos).
  function stackedData(d) {
    var n = d.x.length, sums = new Array(n).fill(0), out = [];
    d.series.forEach(function (s) {
      var row = s.values.map(function (v, i) { sums[i] += v; return sums[i]; });
      out.push(row);
    });
    return out;
  }

  function draw(el) {
    var d = JSON.parse(el.querySelector("script[type='application/json']").textContent);
    el.querySelectorAll(".uplot, .chart-tip, .empty").forEach(function (n) { n.remove(); });
    if (d.empty) {
      var p = document.createElement("p");
      p.className = "empty";
      p.textContent = "No data in this period.";
      el.appendChild(p);
      return;
    }
    var cum = stackedData(d);
    var order = d.series.map(function (_, i) { return i; }).reverse();  // top of the stack first
    var bars = uPlot.paths.bars({ size: [0.8, 60] });
    var series = [{ label: "time" }];
    var data = [d.x];
    order.forEach(function (i) {
      series.push({
        label: d.series[i].label, fill: PALETTE[i % PALETTE.length], stroke: PALETTE[i % PALETTE.length],
        width: 0, paths: bars, points: { show: false },
        value: function (u, v, si, idx) { return idx == null ? "" : fmt(d.unit, d.series[i].values[idx]); },
      });
      data.push(cum[i]);
    });
    var tip = document.createElement("div");
    tip.className = "chart-tip";
    tip.hidden = true;
    el.appendChild(tip);
    var width = Math.max(300, el.clientWidth || 800);
    var opts = {
      width: width, height: 240,
      series: series,
      scales: { x: { time: true, range: function (u, min, max) { var h = (d.bucket === "hour" ? 3600 : 86400) / 2; return [min - h, max + h]; } }, y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.05 : 1]; } } },
      axes: [
        { stroke: "#667", grid: { stroke: "#eef" }, values: d.bucket === "hour" ? undefined : function (u, ts) { return ts.map(function (t) { return day(t).slice(5); }); } },
        { stroke: "#667", grid: { stroke: "#eef" }, size: 60, label: d.unit, values: function (u, vals) { return vals.map(function (v) { return axisFmt(d.unit, v); }); } },
      ],
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      hooks: {
        setCursor: [function (u) {
          var idx = u.cursor.idx;
          if (idx == null || u.cursor.left < 0) { tip.hidden = true; return; }
          var rows = d.series.map(function (s, i) {
            return '<li><span class="sw" style="background:' + PALETTE[i % PALETTE.length] + '"></span>' +
              esc(s.label) + " <b>" + fmt(d.unit, s.values[idx]) + "</b></li>";
          }).reverse();
          var total = cum[cum.length - 1][idx];
          tip.innerHTML = "<b>" + label(d, d.x[idx]) + "</b> · total " + fmt(d.unit, total) + "<ul>" + rows.join("") + "</ul>";
          tip.hidden = false;
          tip.style.left = Math.min(u.cursor.left + 70, width - 220) + "px";
          tip.style.top = "10px";
        }],
      },
    };
    var u = new uPlot(opts, data, el);
    u.over.addEventListener("click", function () {
      var idx = u.cursor.idx;
      if (idx == null) return;
      var yv = u.posToVal(u.cursor.top, "y"), pick = null;
      for (var i = 0; i < cum.length; i++) {  // the stacked segment under the pointer
        var lo = i === 0 ? 0 : cum[i - 1][idx];
        if (yv >= lo && yv <= cum[i][idx] && d.series[i].values[idx] > 0) { pick = i; break; }
      }
      window.location.href = href(d, idx, pick);
    });
    u.over.addEventListener("mouseleave", function () { tip.hidden = true; });
    el.setAttribute("data-drawn", "1");
  }

  // The Sessions page for a bucket (its UTC dates; the end date is inclusive) and a stacked value.
  function href(d, idx, pick) {
    var from = day(d.x[idx]);
    var q = "range=custom&from=" + from + "&to=" + from;
    if (pick != null && d.series[pick].filter) q += "&" + d.series[pick].filter;
    return "/sessions?" + q;
  }
  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; }); }

  function drawAll(root) { (root || document).querySelectorAll(".uchart").forEach(draw); }
  window.clawscopeCharts = { drawAll: drawAll, href: href };
  drawAll();
})();
