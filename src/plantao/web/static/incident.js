/*
 * The incident page, live: when the live stream (static/live.js, GET /live/incidents) says this
 * incident changed, fetch /incidents/{ref}/partial/live and swap in the sections (elements with
 * data-live-section and an id) whose content changed. No reload: what the person is doing stays.
 *
 * A section is left alone while it holds the focus or a form field someone changed (typing a
 * silence's matchers, choosing a snooze) and is swapped at the next update after that; <details>
 * keep their open/closed state across a swap. After a swap, <time> elements are re-rendered by
 * static/time.js and "plantao:updated" is dispatched on the new section.
 *
 * Also: countdowns (<span data-countdown="ISO">: "in 4:32" / "1:02 overdue", every second) and
 * the note's length counter (data-counter-for). Without JavaScript the page works the same,
 * only without live updates: every form posts and redirects.
 *
 * The page's root (#incident) carries data-incident (the ref), data-partial-url and, for
 * live.js (loaded before this file), data-live-url and data-live-incident. Events of every
 * incident are filtered here by ref, so a page-wide stream opened by the layout works too.
 */
(function () {
  "use strict";

  var root = document.getElementById("incident");
  if (!root) {
    return;
  }
  var ref = root.getAttribute("data-incident");
  var partialUrl = root.getAttribute("data-partial-url");

  /* ---- the live stream ---------------------------------------------------------------- */

  function changed(field) {
    if (field.type === "hidden" || field.disabled) {
      return false;
    }
    if (field.type === "checkbox" || field.type === "radio") {
      return field.checked !== field.defaultChecked;
    }
    if (field.tagName === "SELECT") {
      for (var i = 0; i < field.options.length; i++) {
        if (field.options[i].selected !== field.options[i].defaultSelected) {
          return true;
        }
      }
      return false;
    }
    return field.value !== field.defaultValue;
  }

  function busy(section) {
    var active = document.activeElement;
    if (active && active !== document.body && section.contains(active) &&
        /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) {
      return true;
    }
    var fields = section.querySelectorAll("input, textarea, select");
    for (var i = 0; i < fields.length; i++) {
      if (changed(fields[i])) {
        return true;
      }
    }
    return false;
  }

  function keepOpenState(old, fresh) {
    var opened = old.querySelectorAll("details[id]");
    for (var i = 0; i < opened.length; i++) {
      var twin = fresh.querySelector("details#" + CSS.escape(opened[i].id));
      if (twin) {
        twin.open = opened[i].open;
      }
    }
  }

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var sections = doc.querySelectorAll("[data-live-section][id]");
    for (var i = 0; i < sections.length; i++) {
      var fresh = sections[i];
      var old = document.getElementById(fresh.id);
      if (!old || baseline[fresh.id] === fresh.innerHTML || busy(old)) {
        continue;
      }
      var node = document.importNode(fresh, true);
      baseline[fresh.id] = fresh.innerHTML;
      keepOpenState(old, node);
      old.replaceWith(node);
      if (window.plantaoTime) {
        window.plantaoTime.refresh(node);
      }
      node.dispatchEvent(new CustomEvent("plantao:updated", { bubbles: true }));
    }
    tick();
  }

  var inFlight = false;
  var again = false;

  function refresh() {
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    window
      .fetch(partialUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html) {
          swap(html);
        }
      })
      .catch(function () { /* the next event or the resync after a reconnect tries again */ })
      .then(function () {
        inFlight = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  /* What the server rendered last, per section: a later update is compared with it (the
   * DOM itself is changed by time.js and the countdowns, so it cannot be compared). */
  var baseline = {};
  var initial = document.querySelectorAll("[data-live-section][id]");
  for (var s = 0; s < initial.length; s++) {
    baseline[initial[s].id] = initial[s].innerHTML;
  }

  document.addEventListener("plantao:incident", function (event) {
    var detail = event.detail || {};
    if (detail.kind === "resync" || detail.ref === ref) {
      refresh();
    }
  });
  var live = document.getElementById("inc-live-state");
  document.addEventListener("plantao:live-open", function () {
    if (live) {
      live.hidden = false;
    }
  });
  document.addEventListener("plantao:live-ended", function () {
    if (live) {
      live.hidden = true;
    }
  });

  /* ---- countdowns --------------------------------------------------------------------- */

  function clock(seconds) {
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var sec = seconds % 60;
    var mm = (h > 0 && m < 10 ? "0" : "") + m;
    return (h > 0 ? h + ":" : "") + mm + ":" + (sec < 10 ? "0" : "") + sec;
  }

  function tick() {
    var now = Date.now();
    var found = document.querySelectorAll("[data-countdown]");
    for (var i = 0; i < found.length; i++) {
      var element = found[i];
      var due = Date.parse(element.getAttribute("data-countdown").replace(/(\.\d{3})\d+/, "$1"));
      if (isNaN(due)) {
        continue;
      }
      var left = Math.round((due - now) / 1000);
      var late = left < 0;
      var text = (late ? element.getAttribute("data-overdue") : element.getAttribute("data-left")) || "{}";
      element.textContent = "(" + text.replace("{}", clock(Math.abs(left))) + ")";
      element.toggleAttribute("data-late", late);
      element.hidden = false;
    }
  }

  tick();
  window.setInterval(tick, 1000);

  /* ---- the note's length counter ------------------------------------------------------ */

  var counters = document.querySelectorAll("[data-counter-for]");
  Array.prototype.forEach.call(counters, function (counter) {
    var field = document.getElementById(counter.getAttribute("data-counter-for"));
    var template = counter.getAttribute("data-counter");
    if (!field || !template) {
      return;
    }
    var max = field.getAttribute("maxlength") || "";
    var show = function () {
      counter.textContent = template.replace("{n}", field.value.length).replace("{max}", max);
    };
    field.addEventListener("input", show);
    show();
  });
})();
