// calfraise serve's live page: draws each snapshot from /live/events (server-sent events): the
// set's rep count, the last rep's tempo against the targets (green on target, amber off, as the
// server judged it) and the session's total. EventSource reconnects by itself.
"use strict";
const $ = (id) => document.getElementById(id);

function phase(el, ms, onTarget, targetMs) {
  const target = targetMs ? " / " + (targetMs / 1000).toFixed(1) : "";
  el.textContent = (ms / 1000).toFixed(1) + target + " s";
  el.className = onTarget === null ? "" : onTarget ? "on-target" : "off-target";
}

function show(s) {
  $("link").textContent = s.message;
  $("link").className = s.connected ? "link connected" : "link";
  $("rep").textContent = s.rep;
  $("set").textContent = s.set || "–";
  $("total").textContent = s.reps + " reps this session" + (s.state === "idle" ? " (idle)" : "");
  if (s.last) {
    phase($("up"), s.last.up_ms, s.last.up_on_target, s.targets.tempo_up_ms);
    phase($("down"), s.last.down_ms, s.last.down_on_target, s.targets.tempo_down_ms);
    $("rep").className = s.last.partial ? "partial" : "";
  }
}

new EventSource("/live/events").onmessage = (message) => show(JSON.parse(message.data));
