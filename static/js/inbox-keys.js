// Support Inbox keyboard shortcuts and saved-reply insertion (progressive enhancement).
// Every action here is a link or a form that also works without JavaScript; keys only click or focus them.
// List: j/k move, Enter/o open, / search. Ticket: r reply, n internal note, s saved reply,
// Ctrl/Cmd+Enter send, Ctrl/Cmd+Shift+Enter send and resolve, e resolve, a assign to me, u back.
// Both: ? shows the keys, Esc closes the help or leaves a text box.
(function () {
  "use strict";

  var help = document.getElementById("keys-help");
  var rows = Array.prototype.slice.call(document.querySelectorAll(".inbox-row"));
  var selected = -1;

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function click(selector) {
    var el = document.querySelector(selector);
    if (el) { el.click(); return true; }
    return false;
  }

  function select(index) {
    if (!rows.length) return;
    index = Math.max(0, Math.min(rows.length - 1, index));
    if (selected >= 0 && rows[selected]) {
      rows[selected].classList.remove("is-selected");
      rows[selected].removeAttribute("aria-selected");
    }
    selected = index;
    var row = rows[selected];
    row.classList.add("is-selected");
    row.setAttribute("aria-selected", "true");
    var link = row.querySelector(".inbox-row__link");
    if (link) link.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function openSelected() {
    var row = rows[selected];
    var link = row && row.querySelector(".inbox-row__link");
    if (link) { window.location.href = link.href; return true; }
    return false;
  }

  function composer(visibility) {
    var text = document.getElementById("reply-text");
    if (!text) return false;
    var radio = document.querySelector('input[name="visibility"][value="' + visibility + '"]');
    if (radio) radio.checked = true;
    text.focus();
    text.scrollIntoView({ block: "center" });
    return true;
  }

  function showHelp() {
    if (help && typeof help.showModal === "function" && !help.open) help.showModal();
  }

  // Keep j/k in step with a row clicked or tabbed to.
  rows.forEach(function (row, i) {
    row.addEventListener("focusin", function () { if (selected !== i) select(i); });
  });

  document.addEventListener("keydown", function (event) {
    var key = event.key;
    var mod = event.ctrlKey || event.metaKey;

    // Ctrl/Cmd+Enter in the reply box sends it (with Shift: send and resolve).
    if (mod && key === "Enter" && event.target && event.target.id === "reply-text") {
      event.preventDefault();
      if (event.shiftKey && click(".composer button[name=resolve]")) return;
      click(".composer button[type=submit]:not([name])");
      return;
    }
    if (key === "Escape" && typing(event.target)) { event.target.blur(); return; }
    if (mod || event.altKey || typing(event.target)) return;
    if (help && help.open) return; // the dialog handles its own keys (Esc closes it)

    var handled = true;
    switch (key) {
      case "?": showHelp(); break;
      case "j": select(selected + 1); break;
      case "k": select(selected < 0 ? 0 : selected - 1); break;
      case "o": handled = openSelected(); break;
      case "Enter": handled = selected >= 0 && document.activeElement === document.body ? openSelected() : false; break;
      case "/": {
        var search = document.getElementById("f-q");
        if (search) { search.focus(); search.select(); } else handled = false;
        break;
      }
      case "r": handled = composer("public"); break;
      case "n": handled = composer("internal"); break;
      case "s": {
        var pick = document.getElementById("saved-reply");
        if (pick) pick.focus(); else handled = false;
        break;
      }
      case "e": handled = click("[data-key-resolve]"); break;
      case "a": handled = click("[data-key-assign]"); break;
      case "u": handled = click("[data-key-back]"); break;
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });

  // Saved replies: insert at the cursor without leaving the page; the form's GET is the fallback.
  var pickForm = document.querySelector(".saved-pick[data-saved-reply-url]");
  var text = document.getElementById("reply-text");
  var status = document.getElementById("reply-support_status");

  function insert(replyId) {
    if (!replyId || !text) return;
    fetch(pickForm.getAttribute("data-saved-reply-url") + encodeURIComponent(replyId), {
      credentials: "same-origin", headers: { Accept: "application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (reply) {
      var start = text.selectionStart || 0, end = text.selectionEnd || 0, value = text.value;
      text.value = value.slice(0, start) + reply.text + value.slice(end);
      var caret = start + reply.text.length;
      text.focus();
      text.setSelectionRange(caret, caret);
      if (status && reply.support_status) status.value = reply.support_status;
      pickForm.querySelector("select").value = "";
    }).catch(function () {
      pickForm.submit(); // let the server fill the box instead
    });
  }

  if (pickForm) {
    var select_ = pickForm.querySelector("select");
    pickForm.addEventListener("submit", function (event) {
      event.preventDefault();
      insert(select_.value);
    });
    select_.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); insert(select_.value); }
    });
  }
})();
