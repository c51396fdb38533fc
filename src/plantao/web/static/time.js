/*
 * Plantão relative times: every <time datetime="ISO-8601 with a time"> shows how long ago (or
 * how soon) it is, in the page's language ("12 min ago" / "há 12 min", "in 5 min" / "em 5 min"),
 * and gets the absolute time in the viewer's browser time zone as its title. Clicking (or
 * tapping) the element toggles between the relative and the absolute text, so a phone, which
 * has no hover, can see it too. Refreshed every 30 s and whenever htmx inserts content.
 *
 * Without JavaScript the server's text stays, so pages render a meaningful absolute time.
 * Opt out per element with data-time="absolute": the text stays, only the title is added.
 * Date-only values (datetime="2026-11-22") are left alone.
 *
 * The words come from the page, not from this file, so every text lives in the server's
 * translation tables: <html data-time-now data-time-ago="{} ago" data-time-in="in {}"
 * data-time-min data-time-h data-time-day data-time-days> (set by base.html).
 * window.plantaoTime.refresh(root) re-renders the <time> elements under root.
 */
(function () {
  "use strict";

  var REFRESH_MS = 30000;
  var root = document.documentElement;
  var words = root.dataset;
  var lang = root.lang || "en";
  var absoluteFormat = null;

  function formatter() {
    if (absoluteFormat === null) {
      var options = {
        year: "numeric", month: "short", day: "numeric",
        hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short"
      };
      try {
        absoluteFormat = new Intl.DateTimeFormat(lang, options);
      } catch (e) {
        absoluteFormat = new Intl.DateTimeFormat("en", options);
      }
    }
    return absoluteFormat;
  }

  function parse(value) {
    if (!value || !/^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value)) {
      return null; /* a date without a time of day: nothing relative to say */
    }
    /* Python writes microseconds; keep milliseconds, which every engine parses. */
    var normal = value.trim().replace(" ", "T").replace(/(\.\d{3})\d+/, "$1");
    var when = new Date(normal);
    return isNaN(when.getTime()) ? null : when;
  }

  function fill(template, amount) {
    return (template || "{}").replace("{}", amount);
  }

  function relative(when, now) {
    var seconds = Math.round((when.getTime() - now) / 1000);
    var future = seconds > 0;
    var size = Math.abs(seconds);
    if (size < 45) {
      return words.timeNow || "just now";
    }
    var minutes = Math.round(size / 60);
    var amount;
    if (minutes < 60) {
      amount = minutes + " " + (words.timeMin || "min");
    } else if (minutes < 48 * 60) {
      var hours = Math.floor(minutes / 60);
      var rest = minutes % 60;
      amount = hours + " " + (words.timeH || "h");
      if (hours < 6 && rest > 0) {
        amount += " " + rest + " " + (words.timeMin || "min");
      }
    } else {
      var days = Math.round(minutes / 1440);
      amount = days + " " + (days === 1 ? words.timeDay || "day" : words.timeDays || "days");
    }
    return fill(future ? words.timeIn || "in {}" : words.timeAgo || "{} ago", amount);
  }

  function render(element, now) {
    var when = parse(element.getAttribute("datetime"));
    if (when === null) {
      return;
    }
    var absolute = formatter().format(when);
    element.title = absolute;
    if (element.dataset.time === "absolute") {
      return;
    }
    if (!("serverText" in element.dataset)) {
      element.dataset.serverText = element.textContent;
    }
    element.dataset.relative = relative(when, now);
    element.textContent = element.dataset.showAbsolute === "1" ? absolute : element.dataset.relative;
  }

  function refresh(scope) {
    var now = Date.now();
    var where = scope || document;
    if (where.matches && where.matches("time[datetime]")) {
      render(where, now);
    }
    var found = where.querySelectorAll ? where.querySelectorAll("time[datetime]") : [];
    for (var i = 0; i < found.length; i++) {
      render(found[i], now);
    }
  }

  function toggle(event) {
    var target = event.target;
    var element = target && target.closest ? target.closest("time[data-relative]") : null;
    if (!element || element.closest("a, button")) {
      return; /* a time inside a link or button keeps its normal click */
    }
    element.dataset.showAbsolute = element.dataset.showAbsolute === "1" ? "0" : "1";
    render(element, Date.now());
  }

  function start() {
    refresh(document);
    window.setInterval(function () { refresh(document); }, REFRESH_MS);
    document.addEventListener("click", toggle);
    /* htmx fires htmx:load on every piece of content it inserts. */
    document.addEventListener("htmx:load", function (event) { refresh(event.target); });
  }

  window.plantaoTime = { refresh: refresh };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
