/*
 * Plantão step-run pages: keep the step runs current without a reload.
 *
 * live.js follows the incident's live stream (the page's [data-live-url] element) and
 * dispatches plantao:current-incident whenever this incident changes; a step run's request,
 * approval and outcome each add a timeline entry, so each one arrives as such an event. This
 * script then fetches the page again and swaps in its [data-rr-live] sections (the runs), never
 * the request forms, so nothing a person is typing is lost. Bursts are coalesced: one fetch at
 * a time, and one more after it if events arrived meanwhile. Without JavaScript a reload shows
 * the same.
 *
 * The stream starts at "now", not at the moment the server rendered the page: a step run that
 * finished in between (the engine takes well under a second) would never be announced. So the
 * sections are fetched once more when the stream first opens (plantao:live-open).
 */
(function () {
  "use strict";

  var busy = false;
  var again = false;

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var sections = document.querySelectorAll("[data-rr-live]");
    Array.prototype.forEach.call(sections, function (section) {
      var next = fresh.getElementById(section.id);
      if (!next) {
        return;
      }
      var node = document.importNode(next, true);
      section.replaceWith(node);
      if (window.plantaoTime && window.plantaoTime.refresh) {
        window.plantaoTime.refresh(node);
      }
    });
  }

  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    window
      .fetch(window.location.pathname + window.location.search, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "text/html" },
      })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html) {
          swap(html);
        }
      })
      .catch(function () {
        /* the next event or a reload shows the state */
      })
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  document.addEventListener("plantao:current-incident", refresh);
  document.addEventListener("plantao:live-open", function (event) {
    if (event.detail && event.detail.first) {
      refresh();
    }
  });
})();
