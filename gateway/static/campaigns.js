// Timed campaigns on the storefront (issue 22): countdowns that tick. No inline script: the CSP
// forbids it. [data-countdown=ISO instant]: the time left to it, as "[d ]h:mm:ss", written into
// the element's [data-clock] child (or the element itself); at zero the page is loaded again,
// once, so the price and the banner follow the campaign's window.
"use strict";
(function () {
  var clocks = document.querySelectorAll("[data-countdown]");
  if (!clocks.length) return;
  var pad = function (n) { return String(n).padStart(2, "0"); };
  var reloaded = false;
  var format = function (left) {
    var days = Math.floor(left / 86400), rest = left % 86400;
    var text = Math.floor(rest / 3600) + ":" + pad(Math.floor(rest % 3600 / 60)) + ":" + pad(rest % 60);
    return days > 0 ? days + "d " + text : text;
  };
  var tick = function () {
    var now = Date.now(), ended = false;
    clocks.forEach(function (clock) {
      var at = Date.parse(clock.getAttribute("data-countdown"));
      if (isNaN(at)) return;
      var left = Math.max(0, Math.ceil((at - now) / 1000));
      var out = clock.querySelector("[data-clock]") || clock;
      out.textContent = format(left);
      clock.setAttribute("data-left", String(left));
      if (left === 0) ended = true;
    });
    if (ended && !reloaded) { reloaded = true; setTimeout(function () { window.location.reload(); }, 1500); }
  };
  tick();
  setInterval(tick, 1000);
})();
