/* Support Inbox live updates (SPEC §10) over the staff stream (EventSource; the inbox session cookie).
   List: new tickets → an "N new" banner; rows on the page change in place (status, needs reply,
   message count). Ticket page: new messages appear, the status badge and balance follow, and who
   else has the ticket open or is typing is shown (presence heartbeats). Without JavaScript both
   pages work as before (reload to see changes; the reply's collision check is server-side). */
(function () {
  "use strict";

  var root = document.querySelector("[data-live-stream]");
  if (!root || !window.EventSource) return;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function setBadge(badge, status) {
    if (!badge) return;
    badge.className = "badge badge--" + String(status).replace(/[^a-z_]/g, "");
    badge.textContent = status;
  }

  var source = new EventSource(root.getAttribute("data-live-stream"));
  source.addEventListener("open", function () { root.setAttribute("data-live", "on"); });
  source.addEventListener("error", function () { root.setAttribute("data-live", "off"); });

  function on(name, handler) {
    source.addEventListener(name, function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      handler(data);
    });
  }

  // ---- the list ------------------------------------------------------------------------------------------
  function listPage() {
    var fresh = {};
    var elsewhere = {};
    var banner = null;

    function showBanner() {
      var created = Object.keys(fresh).length;
      var updated = Object.keys(elsewhere).length;
      if (!created && !updated) return;
      if (!banner) {
        banner = el("p", "live-banner");
        banner.setAttribute("role", "status");
        root.appendChild(banner);
      }
      banner.textContent = "";
      var parts = [];
      if (created) parts.push(created + " new ticket" + (created === 1 ? "" : "s"));
      if (updated) parts.push(updated + " updated elsewhere");
      banner.appendChild(document.createTextNode(parts.join(" · ") + " — "));
      var link = el("a", null, "show");
      link.href = location.pathname + location.search;
      banner.appendChild(link);
    }

    function updateRow(ticket) {
      var row = document.querySelector('tr[data-ticket="' + ticket.number + '"]');
      if (!row) return false;
      setBadge(row.querySelector(".col-status .badge"), ticket.support_status);
      row.classList.toggle("row--needs-reply", !!ticket.awaiting_operator);
      var subject = row.querySelector(".col-subject");
      var flag = subject && subject.querySelector(".needs-reply");
      if (ticket.awaiting_operator && subject && !flag) {
        var mark = el("span", "needs-reply", "Needs reply");
        mark.title = "The customer wrote last";
        subject.insertBefore(mark, subject.querySelector(".muted"));
      } else if (!ticket.awaiting_operator && flag) {
        flag.remove();
      }
      var count = row.querySelector(".live-count");
      if (count) count.textContent = ticket.message_count + " message" + (ticket.message_count === 1 ? "" : "s");
      var time = row.querySelector(".col-time time");
      if (time) time.textContent = "just now";
      row.classList.remove("row--updated");
      void row.offsetWidth;  // restart the highlight
      row.classList.add("row--updated");
      return true;
    }

    on("ticket", function (data) {
      if (data.created) { fresh[data.number] = true; showBanner(); return; }
      if (!updateRow(data.ticket)) { elsewhere[data.number] = true; showBanner(); }
    });
  }

  // ---- one ticket -------------------------------------------------------------------------------------------
  var AUTHORS = { user: "Customer", assistant: "Enrich Agent", triage_bot: "Triage bot", system: "System" };

  function renderMessage(m, internal) {
    var author = String(m.author || "system").replace(/[^a-z_]/g, "");
    var item = el("li", "msg msg--" + author + (internal ? " msg--internal" : "") + " msg--live");
    item.setAttribute("data-message-id", m.id);
    var head = el("div", "msg__head");
    head.appendChild(el("span", "msg__author", author === "operator" ? (m.author_name || "Operator") : (AUTHORS[author] || author)));
    head.appendChild(el("span", "msg__role", author));
    if (internal) head.appendChild(el("span", "badge badge--internal", "Internal note · staff only"));
    var time = el("time", "msg__time", String(m.created_at || "").replace("T", " ").slice(0, 16) + " UTC");
    time.setAttribute("datetime", m.created_at || "");
    head.appendChild(time);
    item.appendChild(head);
    item.appendChild(el("div", "msg__text msg__text--plain", m.text));
    return item;
  }

  function ticketPage() {
    var number = parseInt(root.getAttribute("data-live-ticket"), 10);
    var thread = root.querySelector(".thread");
    var form = root.querySelector("form.composer");
    var textarea = form && form.querySelector("textarea[name=text]");
    var lastSeen = form && form.querySelector("input[name=last_seen_message_id]");
    var csrf = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    var presenceBox = document.getElementById("presence");
    var notice = null;

    on("message", function (data) {
      var m = data.message;
      if (!thread || !m || thread.querySelector('[data-message-id="' + m.id + '"]')) return;
      thread.appendChild(renderMessage(m, data.internal));
      var count = document.querySelector("#thread-h .small");
      var n = thread.children.length;
      if (count) count.textContent = n + " message" + (n === 1 ? "" : "s");
      if (data.internal || !lastSeen) return;
      if (!textarea || !textarea.value.trim()) {
        lastSeen.value = m.id;  // nothing drafted: the operator sees it before writing
      } else if (!notice) {
        notice = el("p", "live-notice", "A new message arrived while you were writing — read it before you send.");
        notice.setAttribute("role", "status");
        form.insertBefore(notice, form.querySelector(".field"));
      }
    });
    on("ticket", function (data) {
      setBadge(document.querySelector(".ticket-head__meta .badge"), data.support_status);
    });
    on("balance", function (data) {
      var balance = document.querySelector(".facts .balance");
      if (balance && data.virtual_balance_usd) balance.textContent = "$" + data.virtual_balance_usd;
    });

    // Presence: who else is here. Entries expire unless renewed by a heartbeat.
    var present = {};
    function renderPresence() {
      if (!presenceBox) return;
      var now = Date.now();
      var parts = [];
      Object.keys(present).sort().forEach(function (user) {
        var p = present[user];
        if (now - p.at > 35000) { delete present[user]; return; }
        parts.push(p.name + (p.state === "typing" ? " is typing a reply…" : " is viewing"));
      });
      presenceBox.textContent = parts.length ? "Also here: " + parts.join(" · ") : "";
      presenceBox.hidden = !parts.length;
      presenceBox.classList.toggle("presence--typing", parts.join(" ").indexOf("typing") >= 0);
    }
    on("presence", function (data) {
      if (data.ticket !== number) return;
      if (data.state === "left") delete present[data.user];
      else present[data.user] = { name: data.name || data.user, state: data.state, at: Date.now() };
      renderPresence();
    });
    setInterval(renderPresence, 5000);

    var url = root.getAttribute("data-presence-url");
    var lastTyped = 0;
    var sentState = "";
    function beat(state) {
      if (!url || !csrf) return;
      sentState = state;
      var body = new FormData();
      body.append("state", state);
      body.append("csrfmiddlewaretoken", csrf.value);
      if (state === "left" && navigator.sendBeacon) { navigator.sendBeacon(url, body); return; }
      fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": csrf.value } })
        .catch(function () { /* presence is a hint */ });
    }
    function currentState() { return Date.now() - lastTyped < 6000 ? "typing" : "viewing"; }
    if (textarea) {
      textarea.addEventListener("input", function () {
        lastTyped = Date.now();
        if (sentState !== "typing") beat("typing");
      });
    }
    beat("viewing");
    setInterval(function () { beat(currentState()); }, 10000);
    window.addEventListener("pagehide", function () { beat("left"); });
  }

  if (root.hasAttribute("data-live-ticket")) ticketPage(); else listPage();
})();
