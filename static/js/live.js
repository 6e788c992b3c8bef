/* /demo live updates: the session's event stream (SPEC §10) appends operators' replies, moves the
   status badge and the balance, and marks other threads unread in the sidebar.
   The stream needs the agent's bearer token, which EventSource can't send, so this reads the
   text/event-stream with fetch() and keeps Last-Event-ID itself (same wire protocol, same resume).
   Without JavaScript /demo doesn't run at all (it is an API client); this file only adds to demo.js. */
(function () {
  "use strict";

  var root = document.getElementById("demo");
  if (!root || !window.demoApp || !window.fetch || !window.TextDecoder) return;
  var app = window.demoApp;

  var stream = { sessionId: null, controller: null, lastEventId: "", retryMs: 2000, timer: null, failures: 0 };
  var unread = {};

  function $(id) { return document.getElementById(id); }

  function sidebarButton(sessionId) {
    return document.querySelector('.demo-session__button[data-session-id="' + sessionId + '"]');
  }

  function applyUnread() {
    Object.keys(unread).forEach(function (id) {
      var button = sidebarButton(id);
      if (button && !button.classList.contains("demo-session__button--unread")) {
        button.classList.add("demo-session__button--unread");
        var dot = document.createElement("span");
        dot.className = "live-unread";
        dot.textContent = "New";
        var top = button.querySelector(".demo-session__top") || button;
        top.insertBefore(dot, top.firstChild);
      }
    });
  }

  function markRead(id) {
    delete unread[id];
    var button = sidebarButton(id);
    if (!button) return;
    button.classList.remove("demo-session__button--unread");
    var dot = button.querySelector(".live-unread");
    if (dot) dot.remove();
  }

  function setSidebarStatus(sessionId, status) {
    var button = sidebarButton(sessionId);
    var badge = button && button.querySelector(".badge");
    if (!badge) return;
    badge.className = "badge badge--" + String(status).replace(/[^a-z_]/g, "");
    badge.textContent = status;
  }

  function setSidebarPreview(sessionId, text) {
    var button = sidebarButton(sessionId);
    var preview = button && button.querySelector(".demo-session__preview");
    if (preview) preview.textContent = String(text).replace(/\s+/g, " ").slice(0, 140);
  }

  // ---- what each event does ---------------------------------------------------------------------------
  function onMessage(data) {
    var current = app.current();
    var mine = current && current.id === data.session_id;
    if (mine && current.session_kind === "support") {
      if (!document.querySelector('#transcript [data-message-id="' + data.message.id + '"]')) {
        app.appendMessages([data.message]);
      }
    } else if (!mine) {
      unread[data.session_id] = true;
      applyUnread();
    }
    setSidebarPreview(data.session_id, data.message.text);
    if (data.ticket) onStatus(data.session_id, data.ticket.support_status);
  }

  function onStatus(sessionId, status) {
    var current = app.current();
    if (current && current.id === sessionId && current.support && current.support.support_status !== status) {
      current.support.support_status = status;
      app.setHeader();
    }
    setSidebarStatus(sessionId, status);
  }

  function onTicket(data) {
    if (data.created && !sidebarButton(data.session_id)) {
      app.loadSessions();
      return;
    }
    onStatus(data.session_id, data.support_status);
  }

  function onBalance(data) {
    var balance = $("agent-balance");
    if (balance && data.virtual_balance_usd) balance.textContent = "$" + data.virtual_balance_usd;
  }

  var handlers = { message: onMessage, ticket: onTicket, balance: onBalance };

  function dispatch(frame) {
    if (frame.id) stream.lastEventId = frame.id;
    var handler = handlers[frame.event];
    if (!handler || !frame.data) return;
    try { handler(JSON.parse(frame.data)); } catch (e) { /* a malformed frame changes nothing */ }
  }

  // ---- the text/event-stream reader ----------------------------------------------------------------------
  function parse(buffer) {
    var frames = buffer.split(/\r?\n\r?\n/);
    var rest = frames.pop();
    frames.forEach(function (block) {
      var frame = { id: null, event: "message", data: "" };
      block.split(/\r?\n/).forEach(function (line) {
        if (!line || line.charAt(0) === ":") return;
        var colon = line.indexOf(":");
        var field = colon < 0 ? line : line.slice(0, colon);
        var value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "id") frame.id = value;
        else if (field === "event") frame.event = value;
        else if (field === "data") frame.data += (frame.data ? "\n" : "") + value;
        else if (field === "retry" && /^\d+$/.test(value)) stream.retryMs = parseInt(value, 10);
      });
      dispatch(frame);
    });
    return rest;
  }

  function stop() {
    if (stream.controller) stream.controller.abort();
    stream.controller = null;
    if (stream.timer) clearTimeout(stream.timer);
    stream.timer = null;
  }

  function reconnectLater() {
    stream.failures += 1;
    var wait = Math.min(stream.retryMs * Math.pow(2, Math.min(stream.failures - 1, 4)), 30000);
    stream.timer = setTimeout(connect, wait);
  }

  function connect() {
    stop();
    var token = app.token();
    if (!token || !stream.sessionId) return;
    var controller = new AbortController();
    stream.controller = controller;
    var headers = { Authorization: "Bearer " + token, Accept: "text/event-stream" };
    if (stream.lastEventId) headers["Last-Event-ID"] = stream.lastEventId;
    fetch("/api/v1/demo/sessions/" + encodeURIComponent(stream.sessionId) + "/events",
          { headers: headers, signal: controller.signal, cache: "no-store" }).then(function (res) {
      if (res.status === 401 || res.status === 403 || res.status === 404) { stream.controller = null; return; }
      if (!res.ok || !res.body) throw new Error("stream refused: " + res.status);
      root.setAttribute("data-live", "on");
      stream.failures = 0;
      var reader = res.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) throw new Error("stream ended");
          buffer = parse(buffer + decoder.decode(chunk.value, { stream: true }));
          return pump();
        });
      }
      return pump();
    }).catch(function () {
      root.setAttribute("data-live", "off");
      if (stream.controller === controller) reconnectLater();
    });
  }

  function follow() {
    var current = app.current();
    var first = document.querySelector(".demo-session__button[data-session-id]");
    var id = current ? current.id : (first ? first.getAttribute("data-session-id") : null);
    if (current) markRead(current.id);
    if (id === stream.sessionId && stream.controller) return;  // the same agent's stream: keep it
    stream.sessionId = id;
    connect();
  }

  root.addEventListener("demo:session", follow);
  root.addEventListener("demo:signout", function () { stop(); stream.sessionId = null; stream.lastEventId = ""; unread = {}; });
  var list = $("session-list");
  if (list && window.MutationObserver) {
    // The sidebar is re-rendered after sends: put the unread marks back, and start a stream if
    // the first session just appeared.
    new MutationObserver(function () { applyUnread(); if (!stream.sessionId) follow(); }).observe(list, { childList: true });
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && stream.sessionId && !stream.controller) connect();
  });
})();
