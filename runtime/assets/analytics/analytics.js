// The analytics page: fetches /admin/analytics/data with the operator's
// token every interval and draws it. `window.analytics` holds the last
// figures and the charts (the browser test reads them).
(function () {
  "use strict";
  const KEY = "resourceful.analytics.token";
  const state = { data: null, charts: {}, timer: null };
  window.analytics = state;
  const $ = (id) => document.getElementById(id);

  function status(text, error) {
    const s = $("status");
    s.textContent = text;
    s.className = error ? "error" : "";
  }

  const fmt = {
    n: (v) => (v == null ? "–" : Math.round(v).toLocaleString("en")),
    ms: (v) => (v == null ? "–" : v < 10 ? v.toFixed(2) : v.toFixed(1)),
    pct: (v) => (v == null ? "–" : (v * 100).toFixed(v < 0.01 ? 2 : 1) + " %"),
    rate: (v) => (v == null ? "–" : v.toFixed(v < 10 ? 2 : 0)),
    time: (s) => new Date(s).toLocaleString(),
  };

  function cell(tr, text) {
    const td = document.createElement("td");
    td.textContent = text;
    tr.appendChild(td);
  }

  function table(id, rows, columns) {
    const body = $(id).querySelector("tbody");
    body.replaceChildren();
    if (!rows.length) {
      const tr = document.createElement("tr");
      const td = document.createElement("td");
      td.colSpan = columns.length;
      td.className = "empty";
      td.textContent = "nothing yet";
      tr.appendChild(td);
      body.appendChild(tr);
      return;
    }
    for (const r of rows) {
      const tr = document.createElement("tr");
      for (const c of columns) cell(tr, c(r));
      body.appendChild(tr);
    }
  }

  const palette = ["#2f6fde", "#d9822b", "#2e9e5b", "#b3261e"];

  function chart(id, series, label) {
    const el = $(id);
    const width = Math.max(320, el.clientWidth || 480);
    const opts = {
      width,
      height: 220,
      scales: { x: { time: true } },
      axes: [{}, { label }],
      series: [{}].concat(series.map((s, i) => ({ label: s.label, stroke: palette[i], width: 2, spanGaps: true }))),
    };
    return new uPlot(opts, [[]].concat(series.map(() => [])), el);
  }

  function ensureCharts() {
    if (state.charts.traffic) return;
    state.charts.traffic = chart("c-traffic", [{ label: "requests/s" }], "req/s");
    state.charts.latency = chart("c-latency", [{ label: "p50" }, { label: "p95" }, { label: "p99" }], "ms");
    state.charts.errors = chart("c-errors", [{ label: "5xx/s" }, { label: "429/s" }], "per s");
    state.charts.cache = chart("c-cache", [{ label: "hit ratio" }], "ratio");
  }

  function render(d) {
    state.data = d;
    $("figures").hidden = false;
    $("replica").textContent = d.replica;
    $("window").textContent = Math.round(d.window_seconds / 60) + " minutes";
    $("interval").textContent = d.interval_seconds;
    const t = d.totals;
    $("t-requests").textContent = fmt.n(t.requests);
    $("t-p95").textContent = t.p95_ms == null ? "–" : fmt.ms(t.p95_ms) + " ms";
    $("t-errors").textContent = fmt.pct(t.error_rate);
    $("t-limited").textContent = fmt.pct(t.limited_rate);
    $("t-cache").textContent = fmt.pct(t.cache_hit_ratio);
    ensureCharts();
    const s = d.series;
    const x = s.t || [];
    state.charts.traffic.setData([x, s.requests_per_second || []]);
    state.charts.latency.setData([x, s.p50_ms || [], s.p95_ms || [], s.p99_ms || []]);
    state.charts.errors.setData([x, s.errors_per_second || [], s.limited_per_second || []]);
    state.charts.cache.setData([x, s.cache_hit_ratio || []]);
    table("maintenance", d.maintenance, [
      (w) => w.status, (w) => w.mode, (w) => fmt.time(w.starts_at), (w) => fmt.time(w.ends_at),
      (w) => (w.resources.length ? w.resources.join(", ") : "all"), (w) => w.message,
    ]);
    table("routes", d.routes, [
      (r) => r.route, (r) => r.resource, (r) => fmt.n(r.requests), (r) => fmt.rate(r.requests_per_second),
      (r) => fmt.pct(r.error_rate), (r) => fmt.ms(r.p50_ms), (r) => fmt.ms(r.p95_ms), (r) => fmt.ms(r.p99_ms),
    ]);
    table("clients", d.clients, [(c) => c.client, (c) => "≈ " + fmt.n(c.requests)]);
    table("queries", d.queries, [
      (q) => q.resource, (q) => q.operation, (q) => fmt.n(q.count),
      (q) => fmt.ms(q.p50_ms), (q) => fmt.ms(q.p95_ms), (q) => fmt.ms(q.p99_ms),
    ]);
    if (!d.recorder) status("The application installed its own metrics recorder: this page has no figures to show.", true);
    else status("Updated " + new Date().toLocaleTimeString() + ".", false);
    document.body.dataset.state = "live";
  }

  async function refresh() {
    const token = sessionStorage.getItem(KEY);
    if (!token) return;
    try {
      const r = await fetch("/admin/analytics/data", { headers: { authorization: "Bearer " + token } });
      if (r.status === 401 || r.status === 403) {
        const p = await r.json().catch(() => ({}));
        status((p.detail || "not allowed") + " (status " + r.status + ")", true);
        document.body.dataset.state = "refused";
        return;
      }
      if (!r.ok) {
        status("The service answered " + r.status + "; retrying.", true);
        return;
      }
      render(await r.json());
    } catch (e) {
      status("The service is unreachable; retrying.", true);
    }
  }

  function start() {
    clearInterval(state.timer);
    refresh();
    const every = ((state.data && state.data.interval_seconds) || 5) * 1000;
    state.timer = setInterval(refresh, every);
  }

  $("connect").addEventListener("submit", (e) => {
    e.preventDefault();
    const token = $("token").value.trim();
    if (!token) return;
    sessionStorage.setItem(KEY, token);
    $("token").value = "";
    status("Loading…", false);
    start();
  });
  if (sessionStorage.getItem(KEY)) start();
})();
