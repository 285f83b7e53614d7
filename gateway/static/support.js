// Support tickets' pages: SLA countdowns that tick, and attachments sent as the request body
// (no multipart parser on the server, docs/security.md). No inline script: the CSP forbids it.
"use strict";
(function () {
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  // [data-due=ISO][data-warn=ISO]: the time left to the first answer, "-" once it is late
  var clocks = document.querySelectorAll("[data-due]");
  var pad = function (n) { return String(n).padStart(2, "0"); };
  var tick = function () {
    var now = Date.now();
    clocks.forEach(function (clock) {
      var due = Date.parse(clock.getAttribute("data-due")), warn = Date.parse(clock.getAttribute("data-warn"));
      if (isNaN(due)) return;
      var left = Math.round((due - now) / 1000), abs = Math.abs(left);
      var text = (left < 0 ? "-" : "") + (abs >= 3600 ? Math.floor(abs / 3600) + ":" : "") +
        pad(Math.floor(abs % 3600 / 60)) + ":" + pad(abs % 60);
      clock.textContent = text;
      clock.classList.toggle("sla-late", left < 0);
      clock.classList.toggle("sla-warn", left >= 0 && !isNaN(warn) && now >= warn);
    });
  };
  if (clocks.length) { tick(); setInterval(tick, 1000); }

  // send one file to an attachments URL: a Promise of the response
  var send = function (url, file) {
    return fetch(url + "?filename=" + encodeURIComponent(file.name), {
      method: "POST", body: file, credentials: "same-origin",
      headers: {"Content-Type": file.type || "application/octet-stream", "X-CSRF-Token": csrf, "Accept": "application/json"}
    });
  };
  var failed = function (form, response) {
    var out = form.querySelector("[data-result]");
    var show = function (body) {
      out.className = "alert alert-error"; out.setAttribute("role", "alert");
      out.textContent = form.getAttribute("data-failed") + ((body.error || {}).message ? ": " + body.error.message : "");
    };
    if (!response) { show({}); return; }
    response.json().then(show, function () { show({}); });
  };
  var done = function (url) { window.location.assign(url.split("?")[0] + "?done=attached"); };

  // form[data-upload]: attach a file to the ticket
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var file = form.querySelector('input[type="file"]').files[0];
      if (!file) return;
      send(form.getAttribute("action"), file).then(function (r) {
        if (r.ok) done(window.location.href); else failed(form, r);
      }, function () { failed(form, null); });
    });
  });

  // form[data-open-ticket] with a file chosen: open the ticket, then attach the file to it
  document.querySelectorAll("form[data-open-ticket]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var input = form.querySelector('input[type="file"]'), file = input && input.files[0];
      if (!file) return;  // the plain form
      event.preventDefault();
      var fields = new URLSearchParams();
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name && el.type !== "file") fields.append(el.name, el.value);
      });
      fetch(form.getAttribute("action"), {method: "POST", body: fields, credentials: "same-origin"}).then(function (r) {
        if (!r.redirected) { input.value = ""; form.submit(); return; }  // refused: the page says why
        var ticket = r.url;
        return send(ticket.split("?")[0] + "/attachments", file).then(function (u) {
          if (u.ok) done(ticket); else failed(form, u);
        });
      }, function () { failed(form, null); });
    });
  });
})();
