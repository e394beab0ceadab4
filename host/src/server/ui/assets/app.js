// smelt web UI: the one place that needs script is live conformance progress; every page
// works without it (the form falls back to a normal POST that waits for the suite).
"use strict";
function liveConformance() {
  const form = document.getElementById("conformance-form");
  if (!form || form.dataset.live) return;
  form.dataset.live = "1";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = document.getElementById("progress-box");
    const bar = document.getElementById("progress");
    const log = document.getElementById("progress-log");
    const button = form.querySelector("button");
    button.disabled = true;
    box.hidden = false;
    const response = await fetch(form.action, {
      method: "POST",
      headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
    });
    if (!response.ok) {
      const li = document.createElement("li");
      li.textContent = response.status + " " + response.statusText;
      log.appendChild(li);
      button.disabled = false;
      return;
    }
    const { job } = await response.json();
    let shown = 0;
    const poll = async () => {
      const r = await fetch("/review/jobs/" + encodeURIComponent(job), { credentials: "same-origin" });
      if (!r.ok) { button.disabled = false; return; }
      const state = await r.json();
      for (const e of state.events.slice(shown)) {
        bar.max = e.total;
        if (e.event === "started") {
          const li = document.createElement("li");
          li.className = "running";
          li.textContent = e.id + " …";
          log.appendChild(li);
        } else if (e.event === "finished") {
          log.querySelector("li.running")?.remove();
          bar.value = e.index + 1;
          const li = document.createElement("li");
          const outcome = typeof e.result.outcome === "string" ? e.result.outcome : Object.keys(e.result.outcome || {})[0];
          li.textContent = e.result.id + ": " + outcome + " — " + e.result.summary;
          log.appendChild(li);
        }
      }
      shown = state.events.length;
      if (state.done) {
        if (state.done.ok) {
          // The stored scorecard is on the page once reloaded; the reviewer chooses when.
          const done = document.getElementById("progress-done");
          done.hidden = false;
          done.querySelector("a").focus();
        }
        else {
          const li = document.createElement("li");
          li.textContent = state.done.error;
          log.appendChild(li);
          button.disabled = false;
        }
        return;
      }
      setTimeout(poll, 300);
    };
    poll();
  });
}
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", liveConformance);
} else {
  liveConformance();
}
