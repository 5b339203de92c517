// Live refresh for staff pages: poll a small version stamp and, when it changes, fetch
// this page again and swap its content — unless someone is typing in a form on it, in
// which case a notice offers a reload instead. Plain JavaScript, no library.
"use strict";

(function () {
  const main = document.getElementById("main");
  if (!main || !main.dataset.live) return;
  const region = document.getElementById("live-region");
  const status = document.getElementById("live-status");
  const textEl = status.querySelector(".live-text");
  const timeEl = status.querySelector(".live-time");
  const staleEl = status.querySelector(".live-stale");
  const PERIOD = 2000;
  let version = main.dataset.version;
  let dirty = false;
  let busy = false;

  region.addEventListener("input", () => { dirty = true; });
  region.addEventListener("change", () => { dirty = true; });
  status.querySelector(".live-reload").addEventListener("click", (e) => { e.preventDefault(); location.reload(); });

  function stamp() {
    // UTC, like every time on the dashboard.
    timeEl.textContent = timeEl.dataset.template.replace("{time}", new Date().toISOString().slice(11, 19) + " UTC");
  }

  function typing() {
    const a = document.activeElement;
    return dirty || (a && region.contains(a) && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName) && a.type !== "submit");
  }

  async function swap() {
    const res = await fetch(location.href, { headers: { Accept: "text/html" }, cache: "no-store", credentials: "same-origin" });
    if (res.redirected && /\/staff\/login/.test(res.url)) { location.reload(); return; }
    if (!res.ok) throw new Error(String(res.status));
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
    const fresh = doc.getElementById("live-region");
    const freshMain = doc.getElementById("main");
    if (!fresh || !freshMain) return;
    region.replaceChildren(...Array.from(fresh.childNodes).map((n) => document.importNode(n, true)));
    version = freshMain.dataset.version;
    document.dispatchEvent(new CustomEvent("simsa:refreshed"));
  }

  async function tick() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const res = await fetch(main.dataset.live, { cache: "no-store", credentials: "same-origin" });
      if (res.status === 401 || res.status === 403) { location.reload(); return; }
      const body = await res.json();
      status.classList.remove("offline");
      textEl.textContent = textEl.dataset.on;
      if (body.v !== version) {
        if (typing()) {
          staleEl.hidden = false;
        } else {
          await swap();
          staleEl.hidden = true;
        }
      }
      stamp();
    } catch (e) {
      status.classList.add("offline");
      textEl.textContent = textEl.dataset.offline;
    } finally {
      busy = false;
    }
  }

  stamp();
  setInterval(tick, PERIOD);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) tick(); });
})();
