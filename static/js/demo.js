/* /demo — a small API client for the Enrich Agent and support threads.
   Vanilla JS, no build step. All user-supplied text is rendered with textContent; the only innerHTML is a message's text_html,
   which the server rendered and sanitised with nh3. */
(function () {
  "use strict";

  var root = document.getElementById("demo");
  if (!root) return;

  var TOKEN_KEY = "411data.demo.token";
  var AUTHORS = { user: "You", assistant: "Enrich Agent", operator: "Operator", triage_bot: "Triage bot", system: "System" };
  var LINK_RE = /(\/demo\?session=[0-9a-f]{32}|\/cookbook\/[a-z0-9_]+(?:#[A-Za-z0-9_-]+)?|https?:\/\/[^\s<>"'“”]+)/g;
  var state = { token: null, me: null, current: null, busy: false };

  function $(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // ---- token storage ----------------------------------------------------------------------------
  function storedToken() {
    try { return sessionStorage.getItem(TOKEN_KEY) || localStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
  }
  function saveToken(token, remember) {
    try {
      sessionStorage.setItem(TOKEN_KEY, token);
      if (remember) localStorage.setItem(TOKEN_KEY, token); else localStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* storage disabled: the token lives in memory for this page only */ }
  }
  function clearToken() {
    try { sessionStorage.removeItem(TOKEN_KEY); localStorage.removeItem(TOKEN_KEY); } catch (e) { /* ignore */ }
  }

  // ---- API --------------------------------------------------------------------------------------
  function api(method, path, body) {
    var headers = { Accept: "application/json" };
    if (state.token) headers.Authorization = "Bearer " + state.token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (res) {
        return res.text().then(function (raw) {
          var data = null;
          try { data = raw ? JSON.parse(raw) : null; } catch (e) { data = null; }
          if (!res.ok) {
            var err = new Error((data && data.message) || ("The server answered HTTP " + res.status + "."));
            err.status = res.status;
            err.code = data && data.code;
            err.body = data;
            throw err;
          }
          return data;
        });
      });
  }

  function describeError(err) {
    var text = err.message || "Something went wrong.";
    if (err.code) text = err.code + ": " + text;
    var details = err.body && err.body.details;
    if (details && typeof details === "object") {
      Object.keys(details).forEach(function (field) {
        var reasons = details[field];
        text += " (" + field + ": " + (Array.isArray(reasons) ? reasons.join(", ") : String(reasons)) + ")";
      });
    }
    return text;
  }

  function showError(err) {
    var box = $("app-error");
    if (!err) { box.hidden = true; box.textContent = ""; return; }
    box.textContent = typeof err === "string" ? err : describeError(err);
    box.hidden = false;
  }

  // ---- rendering helpers ------------------------------------------------------------------------
  function appendLinkified(parent, text) {
    var last = 0;
    String(text).replace(LINK_RE, function (match, _g, offset) {
      var url = match.replace(/[.,;:)\]]+$/, "");
      if (offset > last) parent.appendChild(document.createTextNode(text.slice(last, offset)));
      var a = el("a", null, url);
      a.setAttribute("href", url);
      var session = /^\/demo\?session=([0-9a-f]{32})$/.exec(url);
      if (session) {
        a.addEventListener("click", function (event) { event.preventDefault(); openSession(session[1], true); });
      } else if (/^https?:/.test(url)) {
        a.setAttribute("rel", "noopener noreferrer");
        a.setAttribute("target", "_blank");
      }
      parent.appendChild(a);
      last = offset + url.length;
      return match;
    });
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function formatTime(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    return d.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
  }

  function statusBadge(status) {
    return el("span", "badge badge--" + String(status).replace(/[^a-z_]/g, ""), status);
  }

  function renderToolCalls(calls) {
    var details = el("details", "msg__tools");
    details.appendChild(el("summary", null, "Tool calls (" + calls.length + ")"));
    var list = el("ol", "msg__toolcalls");
    calls.forEach(function (call) {
      var item = el("li", "toolcall" + (call.error ? " toolcall--error" : ""));
      var head = el("div", "toolcall__head");
      head.appendChild(el("code", "toolcall__name", call.name));
      head.appendChild(el("span", "toolcall__status", call.error ? ("error: " + (call.error.code || "ERROR")) : "ok"));
      item.appendChild(head);
      item.appendChild(el("pre", "toolcall__json", "arguments: " + JSON.stringify(call.arguments, null, 2)));
      var outcome = call.error ? call.error : call.result;
      var shown = JSON.stringify(outcome, null, 2) || "";
      if (shown.length > 1500) shown = shown.slice(0, 1500) + "\n…";
      item.appendChild(el("pre", "toolcall__json", (call.error ? "error: " : "result: ") + shown));
      list.appendChild(item);
    });
    details.appendChild(list);
    return details;
  }

  function renderMessage(m) {
    var author = String(m.author || "system");
    var item = el("li", "msg msg--" + author.replace(/[^a-z_]/g, ""));
    item.setAttribute("data-author", author);
    if (m.id) item.setAttribute("data-message-id", m.id);
    var head = el("div", "msg__head");
    var name = AUTHORS[author] || author;
    if (author === "operator" && m.author_name) name = m.author_name + " (operator)";
    head.appendChild(el("span", "msg__author", name));
    head.appendChild(el("time", "msg__time", formatTime(m.created_at)));
    item.appendChild(head);
    var body = el("div", "msg__text");
    if (typeof m.text_html === "string" && m.text_html) {
      // Server-rendered Markdown, sanitised by nh3 (support_project/rendering.py): the one place HTML is inserted.
      body.className += " msg__text--md";
      body.innerHTML = m.text_html;
    } else {
      appendLinkified(body, m.text || "");
    }
    item.appendChild(body);
    if (window.DemoAttachments && m.attachments && m.attachments.length) item.appendChild(window.DemoAttachments.renderList(m.attachments));
    var calls = m.metadata && m.metadata.tool_calls;
    if (author === "assistant" && Array.isArray(calls) && calls.length) item.appendChild(renderToolCalls(calls));
    return item;
  }

  function renderTranscript(messages) {
    var list = $("transcript");
    list.textContent = "";
    messages.forEach(function (m) { list.appendChild(renderMessage(m)); });
    $("intro").hidden = messages.length > 0;
    scrollToEnd();
  }

  function appendMessages(messages) {
    var list = $("transcript");
    messages.forEach(function (m) { list.appendChild(renderMessage(m)); });
    if (messages.length) $("intro").hidden = true;
    scrollToEnd();
  }

  function scrollToEnd() {
    var list = $("transcript");
    var last = list.lastElementChild;
    if (last && last.scrollIntoView) last.scrollIntoView({ block: "nearest" });
  }

  // ---- sidebar ------------------------------------------------------------------------------------
  function loadSessions() {
    return api("GET", "/api/v1/demo/sessions?limit=100").then(function (page) {
      var list = $("session-list");
      list.textContent = "";
      page.results.forEach(function (s) { list.appendChild(renderSessionItem(s)); });
      $("session-empty").hidden = page.results.length > 0;
    }).catch(showError);
  }

  function renderSessionItem(s) {
    var item = el("li", "demo-session demo-session--" + s.session_kind);
    var button = el("button", "demo-session__button");
    button.type = "button";
    button.setAttribute("data-session-id", s.id);
    if (state.current && state.current.id === s.id) button.setAttribute("aria-current", "true");
    var top = el("span", "demo-session__top");
    if (s.support) {
      top.appendChild(el("span", "demo-session__kind", "Support #" + s.support.number));
      top.appendChild(statusBadge(s.support.support_status));
    } else {
      top.appendChild(el("span", "demo-session__kind", "Chat"));
    }
    button.appendChild(top);
    button.appendChild(el("span", "demo-session__title", s.title));
    if (s.last_message_preview) button.appendChild(el("span", "demo-session__preview", s.last_message_preview));
    button.appendChild(el("time", "demo-session__time", formatTime(s.last_activity_at)));
    button.addEventListener("click", function () { openSession(s.id, true); });
    item.appendChild(button);
    return item;
  }

  function markCurrentInSidebar() {
    var buttons = document.querySelectorAll(".demo-session__button");
    Array.prototype.forEach.call(buttons, function (b) {
      if (state.current && b.getAttribute("data-session-id") === state.current.id) b.setAttribute("aria-current", "true");
      else b.removeAttribute("aria-current");
    });
  }

  function refreshAccount() {
    return api("GET", "/api/v1/agents/me").then(function (me) {
      state.me = me;
      $("agent-name").textContent = me.name;
      $("agent-balance").textContent = "$" + me.virtual_balance_usd;
      $("token-kind").textContent = me.token_kind === "admin" ? "admin bearer" : "usage key";
      return me;
    });
  }

  // ---- conversation -------------------------------------------------------------------------------
  function setHeader() {
    var s = state.current;
    // demo-ticket.js (close and rate) listens; it asks for a reload with "demo:refresh".
    root.dispatchEvent(new CustomEvent("demo:conversation", { detail: { session: s, token: state.token } }));
    var meta = $("conversation-meta");
    meta.textContent = "";
    var input = $("composer-input");
    var send = $("composer-send");
    input.disabled = false;
    send.disabled = false;
    if (window.DemoAttachments) {
      var open = s && s.session_kind === "support" && s.support && s.support.support_status !== "closed";
      window.DemoAttachments.setContext(state.token, open ? s : null);
    }
    if (!s) {
      $("conversation-title").textContent = "New chat";
      meta.appendChild(el("span", "muted", "Enrich Agent · answers from the cookbook, opens tickets for $0.01"));
      $("composer-label").textContent = "Message the Enrich Agent";
      $("composer-hint").textContent = "Opening a ticket costs $0.01. Enter to send, Shift+Enter for a new line.";
      input.placeholder = "Ask a question, or: file a support ticket — …";
      return;
    }
    $("conversation-title").textContent = s.title;
    if (s.session_kind === "support" && s.support) {
      meta.appendChild(el("span", "demo-main__kind", "Support thread · ticket #" + s.support.number + " "));
      meta.appendChild(statusBadge(s.support.support_status));
      $("composer-label").textContent = "Reply in this support thread";
      input.placeholder = "Add detail for the operators…";
      if (s.support.support_status === "closed") {
        input.disabled = true;
        send.disabled = true;
        $("composer-hint").textContent = "This ticket is closed and takes no new messages. Open a new ticket from a chat.";
      } else {
        $("composer-hint").textContent = "Follow-ups are free. Operators answer here; the Enrich Agent does not.";
      }
    } else {
      meta.appendChild(el("span", "demo-main__kind", "Enrich Agent chat"));
      $("composer-label").textContent = "Message the Enrich Agent";
      $("composer-hint").textContent = "Opening a ticket costs $0.01. Enter to send, Shift+Enter for a new line.";
      input.placeholder = "Ask a question, or: file a support ticket — …";
    }
  }

  function openSession(id, push) {
    showError(null);
    return api("GET", "/api/v1/demo/sessions/" + encodeURIComponent(id)).then(function (s) {
      state.current = s;
      if (push) history.pushState({ session: s.id }, "", "/demo?session=" + s.id);
      setHeader();
      renderTranscript(s.messages || []);
      markCurrentInSidebar();
      announce("demo:session");
      $("composer-input").focus();
    }).catch(function (err) {
      if (err.status === 404) showError("That session does not exist or belongs to another agent.");
      else showError(err);
    });
  }

  function newChat(push) {
    state.current = null;
    showError(null);
    if (push) history.pushState({}, "", "/demo");
    setHeader();
    renderTranscript([]);
    markCurrentInSidebar();
    announce("demo:session");
    $("composer-input").focus();
  }

  // ---- hooks for static/js/live.js (live updates) ----------------------------------------------------
  function announce(name) { root.dispatchEvent(new CustomEvent(name)); }
  window.demoApp = {
    token: function () { return state.token; },
    current: function () { return state.current; },
    appendMessages: appendMessages,
    loadSessions: loadSessions,
    setHeader: setHeader
  };

  function setBusy(busy, label) {
    state.busy = busy;
    $("composer-send").disabled = busy;
    var pending = $("pending-msg");
    if (busy) {
      if (!pending) {
        pending = el("li", "msg msg--pending");
        pending.id = "pending-msg";
        pending.appendChild(el("div", "msg__text", label));
        $("transcript").appendChild(pending);
        $("intro").hidden = true;
        scrollToEnd();
      }
    } else if (pending) {
      pending.remove();
    }
  }

  function send(text) {
    if (state.busy) return;
    var s = state.current;
    showError(null);
    if (s && s.session_kind === "support") {
      var files = window.DemoAttachments;
      if (files && files.busy()) { showError("Wait for the files to finish uploading."); return; }
      var message = { text: text };
      if (files && files.readyIds().length) message.attachments = files.readyIds();
      setBusy(true, "Sending…");
      api("POST", "/api/v1/demo/sessions/" + s.id + "/messages", message).then(function () {
        setBusy(false);
        $("composer-input").value = "";
        if (files) files.clear();
        return openSession(s.id, false);
      }).then(loadSessions).catch(function (err) { setBusy(false); showError(err); });
      return;
    }
    var body = { message: text };
    if (s) body.session_id = s.id;
    var startedOn = s ? s.id : null;
    appendMessages([{ author: "user", text: text, created_at: new Date().toISOString() }]);
    var optimistic = $("transcript").lastElementChild;
    setBusy(true, "The Enrich Agent is working…");
    api("POST", "/api/v1/demo/chat", body).then(function (turn) {
      setBusy(false);
      optimistic.remove();
      if ((state.current ? state.current.id : null) !== startedOn) {
        // The user opened another conversation meanwhile: leave it alone, just refresh the sidebar.
        return Promise.all([loadSessions(), refreshAccount()]);
      }
      $("composer-input").value = "";
      if (!state.current || state.current.id !== turn.session_id) {
        state.current = { id: turn.session_id, session_kind: "enrich", title: text.slice(0, 80), support: null };
        history.pushState({ session: turn.session_id }, "", "/demo?session=" + turn.session_id);
        setHeader();
      }
      appendMessages(turn.messages);
      return Promise.all([loadSessions(), refreshAccount()]).then(function () {
        return api("GET", "/api/v1/demo/sessions/" + turn.session_id);
      }).then(function (fresh) {
        if (state.current && state.current.id === fresh.id) { state.current = fresh; setHeader(); markCurrentInSidebar(); }
      });
    }).catch(function (err) {
      setBusy(false);
      optimistic.remove();
      showError(err);
    });
  }

  // ---- sign in / out -------------------------------------------------------------------------------
  function showSignIn(message) {
    $("app").hidden = true;
    $("signin").hidden = false;
    $("signin-error").textContent = message || "";
    $("token-input").focus();
  }

  function start(token, remember) {
    state.token = token;
    // The app is revealed only once the sidebar and the first conversation are loaded, so nothing
    // typed early can be wiped by the initial render.
    return refreshAccount().then(function () {
      saveToken(token, remember);
      return loadSessions();
    }).then(function () {
      var initial = new URLSearchParams(location.search).get("session") || root.getAttribute("data-initial-session");
      if (initial && /^[0-9a-f]{32}$/.test(initial)) return openSession(initial, false);
      newChat(false);
    }).then(function () {
      $("signin").hidden = true;
      $("app").hidden = false;
      $("composer-input").focus();
    }).catch(function (err) {
      state.token = null;
      clearToken();
      showSignIn(err.status === 401 ? "That token is unknown, revoked or malformed." : describeError(err));
    });
  }

  $("signin-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var token = $("token-input").value.trim();
    if (!token) { showSignIn("Paste an agent token first."); return; }
    $("token-input").value = "";
    start(token, $("remember-input").checked);
  });

  var mint = $("mint-button");
  if (mint) {
    mint.addEventListener("click", function () {
      mint.disabled = true;
      api("POST", "/api/v1/agents", { name: "Demo agent" }).then(function (created) {
        return start(created.token, $("remember-input").checked);
      }).catch(function (err) { showSignIn(describeError(err)); }).then(function () { mint.disabled = false; });
    });
  }

  $("signout-button").addEventListener("click", function () {
    clearToken();
    state.token = null;
    state.current = null;
    $("session-list").textContent = "";
    $("transcript").textContent = "";
    history.pushState({}, "", "/demo");
    announce("demo:signout");
    showSignIn("");
  });

  $("new-chat-button").addEventListener("click", function () { newChat(true); });

  root.addEventListener("demo:refresh", function () {
    var tasks = [loadSessions(), refreshAccount()];
    if (state.current && state.current.id) tasks.push(openSession(state.current.id, false));
    Promise.all(tasks).catch(showError);
  });

  $("composer").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("composer-input").value.trim();
    if (text) send(text);
  });

  $("composer-input").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });

  Array.prototype.forEach.call(document.querySelectorAll(".demo-example"), function (button) {
    button.addEventListener("click", function () {
      $("composer-input").value = button.textContent;
      $("composer").requestSubmit();
    });
  });

  window.addEventListener("popstate", function () {
    if (!state.token) return;
    var id = new URLSearchParams(location.search).get("session");
    if (id) openSession(id, false); else newChat(false);
  });

  var saved = storedToken();
  if (saved) start(saved, !!(function () { try { return localStorage.getItem(TOKEN_KEY); } catch (e) { return null; } })());
  else showSignIn("");
})();
