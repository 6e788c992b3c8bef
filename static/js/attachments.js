/* Attachments on /demo's support threads: pick or drop files, upload each one at once
   (POST /api/v1/demo/sessions/{id}/attachments), send their ids with the next message, and show a
   message's files with an authenticated download. Loaded before demo.js, which calls
   window.DemoAttachments. No inline handlers, all text through textContent. */
(function () {
  "use strict";

  var root = document.getElementById("demo");
  var bar = document.getElementById("attach-bar");
  if (!root || !bar) return;

  var input = document.getElementById("attach-input");
  var list = document.getElementById("attach-pending");
  var dropZone = document.getElementById("composer");
  var maxBytes = parseInt(root.getAttribute("data-attachment-max-bytes") || "0", 10);
  var state = { token: null, sessionId: null, pending: [] };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function humanSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function renderPending() {
    list.textContent = "";
    state.pending.forEach(function (entry) {
      var item = el("li", "file-chip file-chip--" + entry.status);
      item.appendChild(el("span", "file-chip__name", entry.name));
      var note = entry.status === "uploading" ? "uploading…" : entry.status === "error" ? entry.error : humanSize(entry.size);
      item.appendChild(el("span", "file-chip__meta", note));
      var remove = el("button", "file-chip__remove", "×");
      remove.type = "button";
      remove.setAttribute("aria-label", "Remove " + entry.name);
      remove.addEventListener("click", function () {
        state.pending = state.pending.filter(function (e) { return e !== entry; });
        renderPending();
      });
      item.appendChild(remove);
      list.appendChild(item);
    });
    list.hidden = state.pending.length === 0;
  }

  function upload(file) {
    if (!state.sessionId) return;
    var entry = { name: file.name, size: file.size, status: "uploading", id: null, error: "" };
    state.pending.push(entry);
    if (maxBytes && file.size > maxBytes) {
      entry.status = "error";
      entry.error = "too large (max " + humanSize(maxBytes) + ")";
      renderPending();
      return;
    }
    renderPending();
    var sessionId = state.sessionId;
    var form = new FormData();
    form.append("file", file, file.name);
    fetch("/api/v1/demo/sessions/" + encodeURIComponent(sessionId) + "/attachments", {
      method: "POST", body: form,
      headers: { Accept: "application/json", Authorization: "Bearer " + state.token }
    }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) {
        if (!res.ok) throw new Error((data && data.message) || ("HTTP " + res.status));
        entry.id = data.id;
        entry.status = "ready";
      });
    }).catch(function (err) {
      entry.status = "error";
      entry.error = err.message;
    }).then(function () {
      if (state.sessionId === sessionId) renderPending();
    });
  }

  function addFiles(files) {
    Array.prototype.forEach.call(files || [], upload);
  }

  input.addEventListener("change", function () {
    addFiles(input.files);
    input.value = "";
  });

  function dragging(event) {
    if (bar.hidden || !event.dataTransfer || Array.prototype.indexOf.call(event.dataTransfer.types, "Files") < 0) return;
    event.preventDefault();
    dropZone.classList.add("is-dropping");
  }
  dropZone.addEventListener("dragenter", dragging);
  dropZone.addEventListener("dragover", dragging);
  dropZone.addEventListener("dragleave", function () { dropZone.classList.remove("is-dropping"); });
  dropZone.addEventListener("drop", function (event) {
    dropZone.classList.remove("is-dropping");
    if (bar.hidden || !event.dataTransfer || !event.dataTransfer.files.length) return;
    event.preventDefault();
    addFiles(event.dataTransfer.files);
  });

  function download(attachment) {
    fetch("/api/v1/attachments/" + encodeURIComponent(attachment.id), {
      headers: { Authorization: "Bearer " + state.token }
    }).then(function (res) {
      if (!res.ok) throw new Error("HTTP " + res.status);
      return res.blob();
    }).then(function (blob) {
      var url = URL.createObjectURL(blob);
      var a = el("a");
      a.href = url;
      a.download = attachment.filename;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
    }).catch(function () { /* the list stays; a retry is one click away */ });
  }

  window.DemoAttachments = {
    /* The open conversation: a support thread that takes messages, or null (no attaching). */
    setContext: function (token, session) {
      state.token = token;
      var id = session ? session.id : null;
      if (id !== state.sessionId) { state.pending = []; renderPending(); }
      state.sessionId = id;
      bar.hidden = !id;
    },
    busy: function () { return state.pending.some(function (e) { return e.status === "uploading"; }); },
    readyIds: function () {
      return state.pending.filter(function (e) { return e.status === "ready"; }).map(function (e) { return e.id; });
    },
    clear: function () { state.pending = []; renderPending(); },
    renderList: function (attachments) {
      var ul = el("ul", "msg-files");
      ul.setAttribute("aria-label", "Attachments");
      attachments.forEach(function (a) {
        var item = el("li", "msg-file");
        var button = el("button", "msg-file__name", a.filename);
        button.type = "button";
        button.title = "Download " + a.filename;
        button.addEventListener("click", function () { download(a); });
        item.appendChild(button);
        item.appendChild(el("span", "msg-file__meta", humanSize(a.size) + " · " + a.content_type));
        ul.appendChild(item);
      });
      return ul;
    }
  };
})();
