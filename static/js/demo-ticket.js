/* /demo — close and rate the ticket of the open support thread (issue #14 item 4).
   demo.js announces the open conversation with a "demo:conversation" event on #demo; this file
   fills #ticket-actions for support threads and asks demo.js to reload with "demo:refresh".
   Vanilla JS, no build step; all text goes through textContent. */
(function () {
  "use strict";

  var root = document.getElementById("demo");
  var box = document.getElementById("ticket-actions");
  if (!root || !box) return;

  var RATABLE = { resolved: true, closed: true };
  var LABELS = { 1: "Poor", 2: "Fair", 3: "Good", 4: "Very good", 5: "Excellent" };
  var state = { token: null, ticketId: null, seq: 0, busy: false };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function randomKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return "demo-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  function api(method, path, body, headers) {
    var all = { Accept: "application/json", Authorization: "Bearer " + state.token };
    if (body !== undefined) all["Content-Type"] = "application/json";
    Object.keys(headers || {}).forEach(function (name) { all[name] = headers[name]; });
    return fetch(path, { method: method, headers: all, body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (res) {
        return res.text().then(function (raw) {
          var data = null;
          try { data = raw ? JSON.parse(raw) : null; } catch (e) { data = null; }
          if (!res.ok) {
            var err = new Error((data && data.message) || ("The server answered HTTP " + res.status + "."));
            err.code = data && data.code;
            throw err;
          }
          return data;
        });
      });
  }

  function hide() {
    state.ticketId = null;
    box.hidden = true;
    box.textContent = "";
  }

  function refresh() {
    root.dispatchEvent(new CustomEvent("demo:refresh"));
  }

  function showError(where, err) {
    where.textContent = (err.code ? err.code + ": " : "") + (err.message || "Something went wrong.");
    where.hidden = false;
  }

  function stars(score) {
    var text = "";
    for (var i = 1; i <= 5; i++) text += i <= score ? "★" : "☆";
    return text;
  }

  // ---- close ---------------------------------------------------------------------------------------
  function renderClose(ticket) {
    var wrap = el("div", "demo-ticket__close");
    var button = el("button", "button button--small", "Close ticket");
    button.type = "button";
    button.id = "close-ticket-button";
    wrap.appendChild(button);
    button.addEventListener("click", function () {
      wrap.textContent = "";
      var ask = el("span", "demo-ticket__ask", "Close ticket #" + ticket.number + "? Neither you nor the operators can write in it afterwards.");
      var yes = el("button", "button button--small button--danger", "Close it");
      yes.type = "button";
      yes.id = "close-ticket-confirm";
      var no = el("button", "button button--small", "Cancel");
      no.type = "button";
      wrap.appendChild(ask);
      wrap.appendChild(yes);
      wrap.appendChild(no);
      yes.focus();
      no.addEventListener("click", function () { render(ticket); });
      yes.addEventListener("click", function () {
        if (state.busy) return;
        state.busy = true;
        yes.disabled = no.disabled = true;
        api("POST", "/api/v1/support/tickets/" + encodeURIComponent(ticket.ticket_id) + "/close")
          .then(function () { state.busy = false; refresh(); })
          .catch(function (err) { state.busy = false; render(ticket); showError(box.querySelector(".demo-ticket__error"), err); });
      });
    });
    return wrap;
  }

  // ---- rate ----------------------------------------------------------------------------------------
  function renderRated(rating) {
    var done = el("div", "demo-ticket__rated");
    done.id = "ticket-rating";
    var line = el("p", "demo-ticket__score");
    line.appendChild(el("span", null, "Your rating "));
    var shown = el("span", "demo-ticket__stars", stars(rating.score));
    shown.setAttribute("aria-hidden", "true");
    line.appendChild(shown);
    line.appendChild(el("strong", null, " " + rating.score + "/5"));
    line.appendChild(el("span", "muted", " · thank you!"));
    done.appendChild(line);
    if (rating.comment) done.appendChild(el("p", "demo-ticket__comment", "“" + rating.comment + "”"));
    return done;
  }

  function renderRateForm(ticket, errorBox) {
    var form = el("form", "demo-ticket__rate");
    form.id = "rating-form";
    var fieldset = el("fieldset", "demo-ticket__fieldset");
    fieldset.appendChild(el("legend", null, "How was the help on this ticket?"));
    var row = el("div", "demo-stars");
    // Highest first: with flex-direction: row-reverse the stars show 1…5 and "checked ~ label" lights the lower ones.
    for (var score = 5; score >= 1; score--) {
      var input = el("input", "visually-hidden");
      input.type = "radio";
      input.name = "score";
      input.value = String(score);
      input.id = "rating-score-" + score;
      var label = el("label", "demo-stars__star", "★");
      label.setAttribute("for", input.id);
      label.title = score + " of 5 — " + LABELS[score];
      label.appendChild(el("span", "visually-hidden", " " + score + " of 5, " + LABELS[score]));
      row.appendChild(input);
      row.appendChild(label);
    }
    fieldset.appendChild(row);
    var chosen = el("span", "demo-ticket__chosen muted", "Pick 1 to 5 stars.");
    chosen.setAttribute("aria-live", "polite");
    fieldset.appendChild(chosen);
    form.appendChild(fieldset);
    var comment = el("textarea", "demo-ticket__text");
    comment.id = "rating-comment";
    comment.name = "comment";
    comment.rows = 2;
    comment.maxLength = 2000;
    comment.placeholder = "A comment for the operators (optional)";
    var commentLabel = el("label", "visually-hidden", "Comment (optional)");
    commentLabel.setAttribute("for", comment.id);
    form.appendChild(commentLabel);
    form.appendChild(comment);
    var send = el("button", "button button--primary button--small", "Send rating");
    send.type = "submit";
    send.id = "rating-send";
    form.appendChild(send);

    form.addEventListener("change", function () {
      var picked = form.querySelector("input[name=score]:checked");
      if (picked) { chosen.textContent = picked.value + " of 5 — " + LABELS[picked.value]; errorBox.hidden = true; }
    });
    var key = randomKey();  // one logical rating: a double click or retry replays, never rates twice
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var picked = form.querySelector("input[name=score]:checked");
      if (!picked) { showError(errorBox, { message: "Pick a score from 1 to 5 stars first." }); return; }
      if (state.busy) return;
      state.busy = true;
      send.disabled = true;
      errorBox.hidden = true;
      api("POST", "/api/v1/support/tickets/" + encodeURIComponent(ticket.ticket_id) + "/rating",
          { score: Number(picked.value), comment: comment.value.trim() }, { "Idempotency-Key": key })
        .then(function () { state.busy = false; refresh(); })
        .catch(function (err) { state.busy = false; send.disabled = false; showError(errorBox, err); });
    });
    return form;
  }

  function render(ticket) {
    box.textContent = "";
    box.hidden = false;
    var errorBox = el("p", "demo-ticket__error field-error");
    errorBox.setAttribute("role", "alert");
    errorBox.hidden = true;
    if (ticket.rating) box.appendChild(renderRated(ticket.rating));
    else if (RATABLE[ticket.support_status]) box.appendChild(renderRateForm(ticket, errorBox));
    if (ticket.support_status !== "closed") box.appendChild(renderClose(ticket));
    box.appendChild(errorBox);
  }

  root.addEventListener("demo:conversation", function (event) {
    var detail = event.detail || {};
    var session = detail.session;
    state.token = detail.token;
    if (!session || session.session_kind !== "support" || !session.support || !state.token) { hide(); return; }
    var seq = ++state.seq;
    var ticketId = session.support.ticket_id;
    if (state.ticketId !== ticketId) hide();
    state.ticketId = ticketId;
    api("GET", "/api/v1/support/tickets/" + encodeURIComponent(ticketId)).then(function (ticket) {
      if (seq === state.seq) render(ticket);
    }).catch(function () {
      if (seq === state.seq) hide();  // the thread itself still works; the actions just don't show
    });
  });
})();
