// kameng pages: small behaviours bound by data- attributes (no inline script: the CSP forbids it).
"use strict";
(function () {
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    var area = document.createElement("textarea");
    area.value = text; area.setAttribute("readonly", ""); area.className = "visually-hidden";
    document.body.appendChild(area); area.select();
    try { document.execCommand("copy"); } finally { document.body.removeChild(area); }
    return Promise.resolve();
  }

  // [data-copy="#id"]: copy the element's text (or value) and say so on the button
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var target = document.querySelector(button.getAttribute("data-copy"));
    if (!target) return;
    var text = (target.value !== undefined ? target.value : target.textContent).trim();
    copyText(text).then(function () {
      var label = button.textContent;
      button.textContent = button.getAttribute("data-copied"); button.classList.add("done");
      setTimeout(function () { button.textContent = label; button.classList.remove("done"); }, 1600);
    });
  });

  // form[data-confirm]: ask first
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-confirm") && !window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });

  // form[data-checkout]: quantity stepper and the total (integer minor units, never floats)
  var checkout = document.querySelector("[data-checkout]");
  if (checkout) {
    var qty = checkout.querySelector('input[name="quantity"]');
    var total = checkout.querySelector("[data-total] .money");
    var unit = parseInt(checkout.getAttribute("data-unit"), 10);
    // data-tiers="10:900,50:800": from 10 units on, 9.00 each (the catalog's quote decides; this shows it)
    var tiers = (checkout.getAttribute("data-tiers") || "").split(",").filter(Boolean).map(function (pair) {
      return pair.split(":").map(function (v) { return parseInt(v, 10); });
    });
    var unitFor = function (n) {
      var best = unit;
      tiers.forEach(function (tier) { if (n >= tier[0] && tier[1] < best) best = tier[1]; });
      return best;
    };
    // out of the product's bounds (or not a whole number): say so instead of a total
    var bound = document.createElement("p");
    bound.className = "field-error bound-message"; bound.setAttribute("role", "alert"); bound.hidden = true;
    if (total) total.closest(".total-row").insertAdjacentElement("afterend", bound);
    var problem = function (raw, lo, hi) {
      if (!/^\d+$/.test(raw)) return checkout.getAttribute(raw === "" ? "data-bound" : "data-whole");
      var n = parseInt(raw, 10);
      return (n < lo || n > hi) ? checkout.getAttribute("data-bound") : "";
    };
    var show = function () {
      var raw = qty.value.trim(), lo = parseInt(qty.min, 10) || 1, hi = parseInt(qty.max, 10) || lo;
      var wrong = qty.validity.badInput ? checkout.getAttribute("data-whole") : problem(raw, lo, hi);
      qty.setCustomValidity(wrong || "");
      qty.setAttribute("aria-invalid", wrong ? "true" : "false");
      bound.textContent = wrong || ""; bound.hidden = !wrong;
      if (total) total.closest("[data-total]").hidden = !!wrong;
      if (!total || wrong) return;
      var n = parseInt(raw, 10);
      var minor = unitFor(n) * n, text = Math.floor(minor / 100) + "." + String(minor % 100).padStart(2, "0");
      total.textContent = total.textContent.replace(/[\d.]+/, text);
    };
    checkout.querySelectorAll("[data-step]").forEach(function (button) {
      button.addEventListener("click", function () {
        var n = (parseInt(qty.value, 10) || 0) + parseInt(button.getAttribute("data-step"), 10);
        var lo = parseInt(qty.min, 10), hi = parseInt(qty.max, 10);
        qty.value = Math.max(lo, Math.min(hi, n)); show();
      });
    });
    qty.addEventListener("input", show); show();
    checkout.addEventListener("submit", function () {
      var submit = checkout.querySelector('button[type="submit"]');
      setTimeout(function () { submit.disabled = true; }, 0);   // one order per click
    });
  }

  // [data-watch=url]: wait for the order's status to change, then show the new page. The server
  // holds each request up to 20 s and answers the moment the order moves (a long poll).
  var watched = document.querySelector("[data-watch]");
  if (watched) {
    var was = watched.getAttribute("data-status");
    var url = watched.getAttribute("data-watch") + "?status=" + encodeURIComponent(was) + "&wait=20";
    var poll = function () {
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin", cache: "no-store"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          if (body && body.status !== was) { window.location.reload(); return; }
          setTimeout(poll, body ? 1000 : 8000);
        })
        .catch(function () { setTimeout(poll, 8000); });
    };
    setTimeout(poll, 500);
  }

  // [data-expires=ISO]: a countdown to the end of the payment window
  var countdown = document.querySelector("[data-expires]");
  if (countdown) {
    var end = Date.parse(countdown.getAttribute("data-expires"));
    var tick = function () {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      countdown.textContent = String(Math.floor(left / 60)).padStart(2, "0") + ":" + String(left % 60).padStart(2, "0");
      if (left > 0) setTimeout(tick, 1000);
    };
    tick();
  }

  // [data-seconds=N]: a countdown from N seconds at page load (the server's count: no clock skew),
  // shown as riskview.clock shows it ("29:59", from three hours "3:00:00")
  document.querySelectorAll("[data-seconds]").forEach(function (clock) {
    var end = Date.now() + 1000 * parseInt(clock.getAttribute("data-seconds"), 10);
    var two = function (n) { return String(n).padStart(2, "0"); };
    var tick = function () {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000)), hours = Math.floor(left / 3600), rest = left % 3600;
      clock.textContent = (hours ? hours + ":" : "") + two(Math.floor(rest / 60)) + ":" + two(rest % 60);
      if (left > 0) setTimeout(tick, 1000);
    };
    if (!isNaN(end)) tick();
  });

  // form[data-import]: upload a code file to the streamed import API with a progress bar
  var importer = document.querySelector("form[data-import]");
  if (importer) {
    importer.addEventListener("submit", function (event) {
      event.preventDefault();
      var file = importer.querySelector('input[type="file"]').files[0];
      if (!file) return;
      var bar = importer.querySelector("progress"), out = importer.querySelector("[data-result]");
      var button = importer.querySelector('button[type="submit"]');
      var data = new FormData(); data.append("file", file);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", importer.getAttribute("data-import"));
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      bar.hidden = false; bar.value = 0; button.disabled = true;
      out.className = "alert alert-info"; out.textContent = importer.getAttribute("data-uploading");
      xhr.upload.onprogress = function (e) {
        if (!e.lengthComputable) return;
        bar.value = e.loaded / e.total;
        out.textContent = importer.getAttribute("data-uploading") + " " + Math.round(100 * e.loaded / e.total) + "%";
        if (e.loaded === e.total) out.textContent = importer.getAttribute("data-processing");
      };
      xhr.onload = function () {
        button.disabled = false; bar.value = 1;
        var body = {}; try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
        if (xhr.status === 200) {
          out.className = "alert alert-ok";
          out.textContent = importer.getAttribute("data-done").replace("{imported}", body.imported)
            .replace("{duplicates}", body.duplicates).replace("{rejected}", body.rejected_total);
          out.setAttribute("data-imported", body.imported);
          // the page's counters, from the answer: no reload needed to see the new stock
          var available = document.getElementById("available");
          if (available && available.getAttribute("data-count") !== "") {
            var count = (parseInt(available.getAttribute("data-count"), 10) || 0) + (body.imported || 0);
            available.setAttribute("data-count", count); available.textContent = count;
          }
          var list = importer.querySelector("[data-rejected]");
          if (list) {
            list.textContent = "";
            (body.rejected || []).forEach(function (r) {
              var item = document.createElement("li");
              item.textContent = list.getAttribute("data-line").replace("{line}", r.line) + ": " + r.reason;
              list.appendChild(item);
            });
            list.hidden = !(body.rejected || []).length;
          }
        } else {
          out.className = "alert alert-error";
          out.textContent = importer.getAttribute("data-failed") + ": " + ((body.error || {}).message || xhr.status);
        }
      };
      xhr.onerror = function () { button.disabled = false; out.className = "alert alert-error"; out.textContent = importer.getAttribute("data-failed"); };
      xhr.send(data);
    });
  }
})();
