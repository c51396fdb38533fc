/*
 * The incident list updates itself. static/live.js follows the live stream and dispatches
 * plantao:incident on document.body for every change (or {kind: "resync"} after a reconnect);
 * on each, this script re-fetches the list region with the page's own filters
 * (#incident-list's data-rows-url, i.e. GET /?partial=1&<the URL's filters>) and swaps it in:
 * no full reload, the filters and the page stay, and the boxes ticked for a bulk action stay
 * ticked (matched by incident ref), as does the keyboard focus when it was on one of them.
 *
 * Changes come in bursts (an alert storm opens many incidents at once): fetches are debounced,
 * and at most one is in flight; a change seen meanwhile triggers one more fetch after it.
 * An answer that is not the list (a redirect to the login page once the session ended, an
 * error) is ignored: the list stays as it was and live.js says why.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 250;

  function start() {
    var region = document.getElementById("incident-list");
    if (!region || !window.fetch) {
      return;
    }
    var url = region.getAttribute("data-rows-url");
    var timer = null;
    var inFlight = false;
    var again = false;

    function ticked() {
      var boxes = region.querySelectorAll("input[name=ref]:checked");
      return Array.prototype.map.call(boxes, function (box) {
        return box.value;
      });
    }

    function swap(html) {
      var keep = ticked();
      var active = document.activeElement;
      var focused = active && region.contains(active) && active.id ? active.id : null;
      region.innerHTML = html;
      keep.forEach(function (ref) {
        var box = document.getElementById("pick-" + ref);
        if (box) {
          box.checked = true;
        }
      });
      if (focused) {
        var target = document.getElementById(focused);
        if (target) {
          target.focus();
        }
      }
      if (window.plantaoTime && typeof window.plantaoTime.refresh === "function") {
        window.plantaoTime.refresh(region);
      }
      region.setAttribute("data-updated", String(Date.now()));
      region.dispatchEvent(new CustomEvent("plantao:list-updated", { bubbles: true }));
    }

    function done() {
      inFlight = false;
      if (again) {
        again = false;
        schedule();
      }
    }

    function fetchList() {
      timer = null;
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      region.setAttribute("aria-busy", "true");
      window
        .fetch(url, {
          credentials: "same-origin",
          cache: "no-store",
          redirect: "manual",
          headers: { Accept: "text/html" },
        })
        .then(function (response) {
          if (response.status !== 200) {
            return null;
          }
          return response.text();
        })
        .then(function (html) {
          if (html !== null) {
            swap(html);
          }
        })
        .catch(function () {
          /* offline or the server restarting: live.js reconnects and sends a resync */
        })
        .then(function () {
          region.removeAttribute("aria-busy");
          done();
        });
    }

    function schedule() {
      if (timer === null) {
        timer = window.setTimeout(fetchList, DEBOUNCE_MS);
      }
    }

    document.body.addEventListener("plantao:incident", schedule);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
