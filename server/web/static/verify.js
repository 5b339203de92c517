// simsa receipt check, run entirely in the browser (no library, no CDN).
//
// What is checked, in order (each step shown on the page):
//  1. the ledger entry the server returns for the receipt holds a signed ballot whose
//     SHA-256 over its RFC 8785 (JCS) bytes is the receipt id (or has the short code: its first 40 bits);
//  2. the leaf hash of that entry, SHA-256(0x00 || JCS(entry)), computed here;
//  3. the RFC 9162 inclusion proof from that leaf to the root of the current signed tree
//     head (STH), folded here;
//  4. the STH's Ed25519 signature by the ledger key, over JCS of the STH without "sig".
// The ledger key is shown with its fingerprint so it can be compared with the one the
// organiser published. Nothing here trusts the server's own "ok".
"use strict";

const SimsaVerify = (() => {
  const enc = new TextEncoder();

  function b64uDecode(text) {
    if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
      throw new Error("not base64url: " + String(text).slice(0, 20));
    }
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "==".slice(0, (4 - (text.length % 4)) % 4);
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function b64u(bytes) {
    let bin = "";
    for (const b of new Uint8Array(bytes)) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function hex(bytes) {
    return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // RFC 8785: ECMAScript serialisation of primitives (which JCS adopts), object members
  // sorted by their names' UTF-16 code units (the default sort of JS strings), no spaces.
  function jcs(value) {
    if (value === null || typeof value === "boolean" || typeof value === "string") {
      return JSON.stringify(value);
    }
    if (typeof value === "number") {
      if (!Number.isFinite(value)) throw new Error("JCS: non-finite number");
      return JSON.stringify(value);
    }
    if (Array.isArray(value)) return "[" + value.map(jcs).join(",") + "]";
    if (typeof value === "object") {
      const keys = Object.keys(value).sort();
      return "{" + keys.map((k) => JSON.stringify(k) + ":" + jcs(value[k])).join(",") + "}";
    }
    throw new Error("JCS: unsupported value of type " + typeof value);
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  function concat(...parts) {
    const n = parts.reduce((a, p) => a + p.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }

  const leafHash = (data) => sha256(concat(Uint8Array.of(0), data));
  const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

  function equal(a, b) {
    if (a.length !== b.length) return false;
    let d = 0;
    for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
    return d === 0;
  }

  // RFC 9162 §2.1.3.2: the root a leaf and its audit path fold to.
  async function rootFromInclusion(index, treeSize, leaf, path) {
    if (!(Number.isInteger(index) && Number.isInteger(treeSize)) || index < 0 || index >= treeSize) {
      throw new Error(`leaf index ${index} is outside a tree of size ${treeSize}`);
    }
    let fn = index, sn = treeSize - 1, r = leaf;
    for (const p of path) {
      if (sn === 0) throw new Error("the audit path is longer than the tree allows");
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new Error("the audit path is shorter than the tree needs");
    return r;
  }

  async function verifySth(sth, publicKeyB64u) {
    const body = { event: sth.event, tree_size: sth.tree_size, root_hash: sth.root_hash, timestamp: sth.timestamp };
    const key = await crypto.subtle.importKey("raw", b64uDecode(publicKeyB64u), { name: "Ed25519" }, false, ["verify"]);
    return crypto.subtle.verify({ name: "Ed25519" }, key, b64uDecode(sth.sig), enc.encode(jcs(body)));
  }

  // ---- C2SP checkpoints and witness cosignatures (docs/PROTOCOL.md §12) ----------------
  function b64Decode(text) {  // standard, padded base64
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4) throw new Error("not base64");
    return b64uDecode(text.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""));
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let i = 0;
    for (const p of parts) { out.set(p, i); i += p.length; }
    return out;
  }

  async function keyId(name, type, pub) {
    return (await sha256(concat(enc.encode(name + "\n"), new Uint8Array([type]), pub))).slice(0, 4);
  }

  async function ed25519(pub, sig, msg) {
    const key = await crypto.subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
    return crypto.subtle.verify({ name: "Ed25519" }, key, sig, msg);
  }

  // A checkpoint note: its ledger signature, and how many of the policy's witnesses cosign it.
  async function checkCheckpoint(note, ledgerKeyB64u, policy) {
    const cut = note.lastIndexOf("\n\n");
    if (cut < 0) throw new Error("not a signed note");
    const text = note.slice(0, cut + 1);
    const lines = note.slice(cut + 2).split("\n").filter((l) => l);
    const [origin, sizeText, rootText] = text.split("\n");
    if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) throw new Error("bad checkpoint size");
    const sigs = lines.map((l) => {
      const m = /^\u2014 (\S+) (\S+)$/.exec(l);
      if (!m) throw new Error("bad signature line");
      return { name: m[1], raw: b64Decode(m[2]) };
    });
    const ledgerPub = b64uDecode(ledgerKeyB64u);
    const lid = await keyId(origin, 1, ledgerPub);
    let ledgerOk = false;
    for (const s of sigs) {
      if (s.name === origin && equal(s.raw.slice(0, 4), lid)) {
        if (!(await ed25519(ledgerPub, s.raw.slice(4), enc.encode(text)))) return { ledgerOk: false, cosigners: [] };
        ledgerOk = true;
      }
    }
    const cosigners = [];
    for (const k of policy.keys) {
      const pub = b64uDecode(k.key);
      const wid = await keyId(k.name, 4, pub);
      for (const s of sigs) {
        if (s.name !== k.name || !equal(s.raw.slice(0, 4), wid) || s.raw.length !== 76) continue;
        let ts = 0;
        for (const b of s.raw.slice(4, 12)) ts = ts * 256 + b;
        const msg = enc.encode(`cosignature/v1\ntime ${ts}\n` + text);
        if (await ed25519(pub, s.raw.slice(12), msg)) { if (!cosigners.includes(k.name)) cosigners.push(k.name); }
        else return { ledgerOk, cosigners: [], bad: k.name };
      }
    }
    return { ledgerOk, cosigners, size: Number(sizeText), root: b64Decode(rootText) };
  }

  // Is the entry at `index` (leaf hash `leaf`) witnessed: included in a checkpoint the policy's
  // threshold of witnesses cosigned? {policy: null} when the event names no witnesses.
  async function witnessed(index, leaf, ledgerKeyB64u) {
    const pr = await fetch("/tlog/witnesses", { cache: "no-store" });
    if (pr.status === 404) return { policy: null };
    const policy = await pr.json();
    const res = await fetch("/tlog/witnessed-checkpoint", { cache: "no-store" });
    if (res.status === 404) return { policy, ok: false, covered: false, cosigners: [] };
    const cp = await checkCheckpoint(await res.text(), ledgerKeyB64u, policy);
    const quorum = cp.ledgerOk && cp.cosigners.length >= policy.threshold;
    let covered = false;
    if (quorum && index < cp.size) {
      const p = await getJson(`/api/v1/ledger/proof/inclusion?index=${index}&tree_size=${cp.size}`);
      covered = equal(await rootFromInclusion(index, cp.size, leaf, p.audit_path.map(b64uDecode)), cp.root);
    }
    return { policy, ok: quorum, covered, cosigners: cp.cosigners, size: cp.size };
  }

  async function fingerprint(publicKeyB64u) {
    const h = hex((await sha256(b64uDecode(publicKeyB64u))).slice(0, 8));
    return h.match(/.{4}/g).join("-");
  }

  // Short codes: Crockford base32 of the receipt hash's first 40 bits, XXXX-XXXX (no I, L,
  // O, U). Typed codes are read forgivingly: any case, I and L as 1, O as 0, hyphens,
  // dashes and spaces ignored.
  const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

  function shortCode(bytes) {
    let n = 0;
    for (const b of new Uint8Array(bytes).slice(0, 5)) n = n * 256 + b;  // 40 bits: exact in a double
    let s = "";
    for (let i = 0; i < 8; i++) { s = CROCKFORD[n % 32] + s; n = Math.floor(n / 32); }
    return s.slice(0, 4) + "-" + s.slice(4);
  }

  function normaliseCode(text) {
    const t = String(text || "").replace(/[\s\-\u2010-\u2015\u2212]+/g, "").toUpperCase()
      .replace(/[IL]/g, "1").replace(/O/g, "0");
    if (t.length !== 8 || [...t].some((c) => !CROCKFORD.includes(c))) return null;
    return t.slice(0, 4) + "-" + t.slice(4);
  }

  // Accept a full receipt id (43 base64url characters, or a link carrying ?r=id) or a
  // short code; the short code comes back as printed (XXXX-XXXX).
  function normaliseReceipt(text) {
    const t = String(text || "").trim().replace(/\s+/g, "");
    const m = /^(?:.*[?&#]r=)?([A-Za-z0-9_-]{43})$/.exec(t);
    if (m) return { kind: "id", value: m[1] };
    const code = normaliseCode(text);
    if (code) return { kind: "short", value: code };
    return null;
  }

  async function getJson(url) {
    const res = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (!res.ok) {
      const err = new Error((body && (body.detail || body.title)) || `HTTP ${res.status}`);
      err.status = res.status; err.code = body && body.code;
      throw err;
    }
    return body;
  }

  // The whole check. `report(step, ok, detail)` is called for each step; returns a summary.
  async function check(receiptText, report) {
    const r = normaliseReceipt(receiptText);
    if (!r) throw Object.assign(new Error("format"), { code: "receipt_format" });
    const found = await getJson("/api/v1/receipts/" + encodeURIComponent(r.value));
    const entry = found.entry;
    const sb = entry && entry.signed_ballot;
    if (!sb || (entry.type !== "ballot" && entry.type !== "rejected")) {
      throw Object.assign(new Error("the server returned an entry that holds no ballot"), { code: "bad_entry" });
    }
    const digest = await sha256(enc.encode(jcs(sb)));
    const id = b64u(digest);
    const idOk = r.kind === "id" ? id === r.value : shortCode(digest) === r.value;
    report("ballot", idOk, { id, code: shortCode(digest), index: found.index, entry });
    if (!idOk) return { ok: false, id };

    const leaf = await leafHash(enc.encode(jcs(entry)));
    report("leaf", true, { leaf: b64u(leaf) });

    const [sth, keyObj] = await Promise.all([getJson("/api/v1/ledger/sth"), getJson("/api/v1/ledger/key")]);
    const proof = await getJson(`/api/v1/ledger/proof/inclusion?index=${found.index}&tree_size=${sth.tree_size}`);
    const proofLeafOk = proof.leaf_hash === b64u(leaf);
    const root = await rootFromInclusion(found.index, sth.tree_size, leaf, proof.audit_path.map(b64uDecode));
    const rootOk = proofLeafOk && equal(root, b64uDecode(sth.root_hash));
    report("proof", rootOk, { root: b64u(root), sth, pathLength: proof.audit_path.length, proofLeafOk });

    let sigOk = false;
    try { sigOk = await verifySth(sth, keyObj.public_key); } catch (e) { sigOk = false; }
    report("sth", sigOk, { sth, key: keyObj.public_key, fingerprint: await fingerprint(keyObj.public_key) });
    let w = { policy: null };
    try { w = await witnessed(found.index, leaf, keyObj.public_key); } catch (e) { w = { policy: {}, ok: false, covered: false, cosigners: [] }; }
    if (w.policy) report("witness", w.ok && w.covered, w);
    return { ok: idOk && rootOk && sigOk, id, entry, index: found.index, sth, witnessed: w.policy ? w.ok && w.covered : null };
  }

  return { b64u, b64uDecode, hex, jcs, sha256, leafHash, nodeHash, rootFromInclusion, verifySth,
           checkCheckpoint, witnessed, fingerprint, shortCode, normaliseCode, normaliseReceipt, check };
})();

// ---- the page --------------------------------------------------------------------------

(function () {
  const form = document.getElementById("verify-form");
  if (!form) return;
  const T = JSON.parse(document.getElementById("verify-text").textContent);
  const out = document.getElementById("verify-result");
  const input = document.getElementById("receipt");

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const k of kids) e.append(k);
    return e;
  }

  function step(ok, title, ...detail) {
    const li = el("li", { class: ok ? "step ok" : "step bad", "data-ok": ok ? "1" : "0" },
      el("span", { class: "mark", "aria-hidden": "true" }, ok ? "✓" : "✗"),
      el("div", {}, el("strong", {}, title), ...detail.map((d) => el("div", { class: "detail" }, d))));
    return li;
  }

  if (!window.isSecureContext || !window.crypto || !crypto.subtle) {
    out.replaceChildren(el("div", { class: "notice bad", id: "verify-insecure" }, T.insecure));
    document.getElementById("verify-submit").disabled = true;
    return;
  }

  async function run(value) {
    const list = el("ol", { class: "steps" });
    const verdict = el("div", { class: "verdict", id: "verdict", role: "status" }, T.checking);
    out.replaceChildren(verdict, list);
    // In the event's time zone, like every time on the pages (the zone comes with the texts).
    const when = (ms) => {
      try {
        const f = new Intl.DateTimeFormat("sv-SE", { timeZone: T.tz, year: "numeric", month: "2-digit", day: "2-digit",
          hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
        return `${f.format(new Date(ms))} ${T.tz_abbr}`;
      } catch (e) {
        return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
      }
    };
    try {
      const res = await SimsaVerify.check(value, (name, ok, d) => {
        if (name === "ballot") {
          const b = d.entry.signed_ballot.ballot || {};
          const what = b.form === "rubric" ? `${T.proposal} ${b.proposal}` : `${T.group} ${b.group}`;
          const where = d.entry.kiosk ? `${T.kiosk} ${d.entry.kiosk} #${d.entry.seq}` : T.online;
          list.append(step(ok, ok ? T.step_ballot : T.step_ballot_bad,
            `${T.receipt}: ${d.code} · ${d.id}`, `${T.reviewer} ${b.reviewer} · ${what} · ${where} · ${isNaN(Date.parse(b.created_at)) ? b.created_at : when(Date.parse(b.created_at))}`,
            `${T.entry} #${d.index} (${d.entry.type === "rejected" ? T.rejected + " " + d.entry.code : T.accepted})`));
        } else if (name === "leaf") {
          list.append(step(ok, T.step_leaf, `SHA-256(0x00 ‖ JCS(entry)) = ${d.leaf}`));
        } else if (name === "proof") {
          list.append(step(ok, ok ? T.step_proof : T.step_proof_bad,
            `${T.tree_size} ${d.sth.tree_size} · ${T.path} ${d.pathLength}`, `${T.root}: ${d.sth.root_hash}`));
        } else if (name === "sth") {
          list.append(step(ok, ok ? T.step_sth : T.step_sth_bad,
            `${T.ledger_key}: ${d.key}`, `${T.fingerprint}: ${d.fingerprint}`, `${T.signed_at}: ${when(d.sth.timestamp)}`));
        } else if (name === "witness") {
          const title = ok ? T.step_witnessed : d.ok ? T.step_not_witnessed : T.step_witness_bad;
          const li = step(ok, title, `${T.witnesses}: ${d.cosigners.join(", ") || "-"} (${d.cosigners.length}/${(d.policy.keys || []).length}, ≥ ${d.policy.threshold})`);
          li.id = "verify-witness";
          li.dataset.witnessed = ok ? "1" : "0";
          list.append(li);
        }
      });
      if (res.ok) await listInName(res.entry.signed_ballot.ballot.reviewer, res.id);
      const rejected = res.ok && res.entry.type === "rejected";
      verdict.className = "verdict " + (rejected ? "warn" : res.ok ? "ok" : "bad");
      verdict.textContent = rejected ? `${T.ok_rejected} (${res.entry.code})` : res.ok ? T.ok : T.failed;
      verdict.dataset.result = rejected ? "rejected" : res.ok ? "ok" : "bad";
    } catch (e) {
      verdict.className = "verdict bad";
      verdict.dataset.result = "error";
      verdict.textContent = e.code === "receipt_format" ? T.format : e.status === 404 ? T.not_found
        : e.status === 409 ? T.ambiguous : `${T.error}: ${e.message}`;
    }
  }

  // Every ballot cast in this reviewer's name: one they did not cast means someone else
  // holds their key (a photographed card, a guessed PIN) — they should tell the staff.
  async function listInName(reviewer, id) {
    let data;
    try {
      const res = await fetch("/api/v1/reviewers/" + encodeURIComponent(reviewer) + "/ballots",
        { headers: { Accept: "application/json" }, cache: "no-store" });
      if (!res.ok) return;
      data = await res.json();
    } catch (e) { return; }
    const rows = data.ballots.map((b) => el("li", { "data-id": b.id, class: b.id === id ? "this" : "" },
      `${b.short_code} · ${b.target} · ${b.kiosk ? T.kiosk + " " + b.kiosk + " #" + b.seq : T.online} · ${b.created_at}`
      + (b.id === id ? ` (${T.this_one})` : "")));
    const box = el("section", { class: "in-name" + (data.split ? " warn" : ""), id: "in-name" },
      el("h2", {}, `${T.in_name} ${reviewer} (${data.ballots.length})`),
      el("p", { class: "small" }, data.split ? T.in_name_split : T.in_name_help), el("ul", {}, ...rows));
    out.append(box);
  }

  function submit(v) {
    const url = new URL(window.location.href);
    url.searchParams.set("r", v.trim());
    history.replaceState(null, "", url);
    run(v);
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    submit(input.value);
  });

  // Camera scan of the receipt's QR code where the browser can decode one itself
  // (BarcodeDetector: Chrome on Android, ChromeOS, macOS). Elsewhere: type the code, use a
  // barcode scanner that types, or open a link that carries ?r=.
  const scanBtn = document.getElementById("scan-button");
  const scanBox = document.getElementById("scan-box");
  if (scanBtn && "BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    scanBtn.hidden = false;
    let stream = null, timer = null;
    const video = scanBox.querySelector("video");
    const stop = () => {
      if (timer) clearInterval(timer);
      if (stream) stream.getTracks().forEach((t) => t.stop());
      stream = null; timer = null; scanBox.hidden = true;
    };
    scanBox.querySelector(".scan-cancel").addEventListener("click", stop);
    scanBtn.addEventListener("click", async () => {
      try {
        const detector = new BarcodeDetector({ formats: ["qr_code"] });
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
        video.srcObject = stream;
        scanBox.hidden = false;
        await video.play();
        timer = setInterval(async () => {
          let codes = [];
          try { codes = await detector.detect(video); } catch (e) { return; }
          const hit = codes.map((c) => c.rawValue).find((v) => SimsaVerify.normaliseReceipt(v));
          if (hit) { stop(); input.value = hit; submit(hit); }
        }, 250);
      } catch (e) {
        stop();
        out.replaceChildren(el("div", { class: "notice bad" }, `${T.camera_error}: ${e.message || e.name}`));
      }
    });
  }
  const initial = new URL(window.location.href).searchParams.get("r");
  if (initial) { input.value = initial; run(initial); }
})();
