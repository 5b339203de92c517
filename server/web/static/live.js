// Live refresh for staff pages: poll a small version stamp; only when it changes, fetch
// this page again and swap the parts of its content that differ (open <details> and the
// rest stay as they are) — unless someone is typing in a form on it, in which case a
// notice offers a reload instead. The dot is grey ("not live") until the first poll
// answers, green while polls answer, red when they fail. Plain JavaScript, no library.
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

  function state(name) {
    status.classList.remove("off", "on", "offline");
    status.classList.add(name);
    status.dataset.state = name;
    textEl.textContent = textEl.dataset[name];
  }

  function stamp(local) {
    // The server's clock in the event's time zone (KST …), like every time on the pages.
    if (local) timeEl.textContent = timeEl.dataset.template.replace("{time}", local);
  }

  function typing() {
    const a = document.activeElement;
    return dirty || (a && region.contains(a) && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName) && a.type !== "submit");
  }

  function openDetails(root) {
    return new Set(Array.from(root.querySelectorAll("details[id][open]")).map((d) => d.id));
  }

  async function swap() {
    // X-Simsa-Live: the server leaves out the heavy parts marked data-live-keep (the charts
    // of the close page), which stay as they are until the page is reloaded.
    const res = await fetch(location.href, {
      headers: { Accept: "text/html", "X-Simsa-Live": "1" }, cache: "no-store", credentials: "same-origin",
    });
    if (res.redirected && /\/staff\/login/.test(res.url)) { location.reload(); return; }
    if (!res.ok) throw new Error(String(res.status));
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
    const fresh = doc.getElementById("live-region");
    const freshMain = doc.getElementById("main");
    if (!fresh || !freshMain) return;
    const wasOpen = openDetails(region);
    const old = Array.from(region.children);
    const now = Array.from(fresh.children);
    if (old.length === now.length && old.every((el, i) => el.tagName === now[i].tagName)) {
      // Same layout: replace only the parts that changed.
      now.forEach((el, i) => {
        if (el.hasAttribute("data-live-keep") && el.id === old[i].id) return;
        if (!el.isEqualNode(old[i])) old[i].replaceWith(document.importNode(el, true));
      });
    } else {
      const keep = new Map(Array.from(region.querySelectorAll(":scope > [data-live-keep], :scope > #charts")).map((e) => [e.id, e]));
      region.replaceChildren(...Array.from(fresh.childNodes).map((n) =>
        n.nodeType === 1 && n.hasAttribute("data-live-keep") && keep.has(n.id) ? keep.get(n.id) : document.importNode(n, true)));
    }
    wasOpen.forEach((id) => { const d = document.getElementById(id); if (d) d.open = true; });
    version = freshMain.dataset.version;
    main.dataset.version = version;
    document.dispatchEvent(new CustomEvent("simsa:refreshed"));
  }

  async function tick() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const res = await fetch(main.dataset.live, { cache: "no-store", credentials: "same-origin" });
      if (res.status === 401 || res.status === 403) { location.reload(); return; }
      if (!res.ok) throw new Error(String(res.status));
      const body = await res.json();
      state("on");
      if (body.v !== version) {
        if (typing()) {
          staleEl.hidden = false;
        } else {
          await swap();
          staleEl.hidden = true;
        }
      }
      stamp(body.local);
    } catch (e) {
      state("offline");
    } finally {
      busy = false;
    }
  }

  tick();
  setInterval(tick, PERIOD);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) tick(); });
})();
