/*
 * Plantão live updates: follow GET /live/incidents (Server-Sent Events) and tell the page.
 *
 * Why fetch() and not EventSource: EventSource cannot see a status code, so it cannot tell an
 * ended session (401: stop, say so) from a restarting server (reconnect). The stream is read
 * with fetch, parsed here, and each event is re-dispatched as a DOM event that htmx (or any
 * script) listens to; the page itself stays server-rendered.
 *
 * The page opts in with one element carrying data-live-url (and, on an incident page,
 * data-live-incident="INC-…"). Dispatched on document.body (they bubble to document):
 *   plantao:incident          detail = the event's JSON ({kind:"incident", ref, id, severity,
 *                             status, title, new}), or {kind:"resync"} after a reconnect
 *                             (events may have been missed: refresh everything)
 *   plantao:current-incident  the same, only for the incident named by data-live-incident
 *   plantao:live-open         detail = {first: true|false} each time the stream opens
 *   plantao:live-ended        the session ended; the stream stopped for good
 * The element's data-live-state says "connecting", "open", "reconnecting" or "ended";
 * #live-offline is shown while reconnecting and #live-session-ended once the session ended.
 *
 * Opt-in alert for new Sev1/Sev2 incidents: a checkbox (or button) #live-alert-toggle, inside
 * #live-alert (shown by this script, so pages without JavaScript do not offer it). The choice
 * is kept in localStorage; when on, a new sev1/sev2 incident plays a short WebAudio beep and,
 * if the browser granted it, shows a desktop notification whose title comes from the toggle's
 * data-notify-title ("{severity}" and "{ref}" are replaced), linking to the incident.
 */
(function () {
  "use strict";

  if (window.plantaoLiveLoaded) {
    return; /* loaded twice (a page and its layout): one stream per page is enough */
  }
  window.plantaoLiveLoaded = true;

  var ALERT_KEY = "plantao.live.alert";
  var ALERTED_KEY = "plantao.live.alerted";
  var MAX_DELAY = 30000;

  function storageGet(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (e) {
      return null;
    }
  }

  function storageSet(key, value) {
    try {
      window.localStorage.setItem(key, value);
    } catch (e) {
      /* private mode or storage full: the choice lasts for this page only */
    }
  }

  function emit(name, detail) {
    document.body.dispatchEvent(new CustomEvent(name, { detail: detail, bubbles: true }));
  }

  function show(id, visible) {
    var element = document.getElementById(id);
    if (element) {
      element.hidden = !visible;
    }
  }

  /* ---- the opt-in alert -------------------------------------------------------------- */

  var audio = null;
  var toggle = null;

  function alertsOn() {
    return storageGet(ALERT_KEY) === "on";
  }

  function audioContext() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) {
      audio = new Context();
    }
    if (audio && audio.state === "suspended") {
      audio.resume();
    }
    return audio;
  }

  function beep() {
    var context = audioContext();
    if (!context) {
      return;
    }
    var start = context.currentTime;
    [880, 660].forEach(function (frequency, index) {
      var oscillator = context.createOscillator();
      var gain = context.createGain();
      var at = start + index * 0.18;
      oscillator.type = "sine";
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.16);
      oscillator.connect(gain);
      gain.connect(context.destination);
      oscillator.start(at);
      oscillator.stop(at + 0.17);
    });
  }

  /* Several tabs receive the same event: only the first to see it alerts (best effort). */
  function firstToAlert(ref) {
    var now = Date.now();
    var seen = {};
    try {
      seen = JSON.parse(storageGet(ALERTED_KEY) || "{}") || {};
    } catch (e) {
      seen = {};
    }
    if (seen[ref] && now - seen[ref] < 10 * 60 * 1000) {
      return false;
    }
    seen[ref] = now;
    var refs = Object.keys(seen).sort(function (a, b) {
      return seen[b] - seen[a];
    });
    var kept = {};
    refs.slice(0, 50).forEach(function (key) {
      kept[key] = seen[key];
    });
    storageSet(ALERTED_KEY, JSON.stringify(kept));
    return true;
  }

  function notify(event) {
    if (!("Notification" in window) || window.Notification.permission !== "granted") {
      return;
    }
    var template = (toggle && toggle.getAttribute("data-notify-title")) || "{severity} {ref}";
    var title = template
      .replace("{severity}", String(event.severity).toUpperCase())
      .replace("{ref}", event.ref);
    var shown = new window.Notification(title, { body: event.title || "", tag: "plantao-" + event.ref });
    shown.onclick = function () {
      window.focus();
      window.location.href = "/incidents/" + encodeURIComponent(event.ref);
      shown.close();
    };
  }

  function maybeAlert(event) {
    if (!event.new || (event.severity !== "sev1" && event.severity !== "sev2")) {
      return;
    }
    if (!alertsOn() || !firstToAlert(event.ref)) {
      return;
    }
    beep();
    notify(event);
  }

  function setupToggle() {
    toggle = document.getElementById("live-alert-toggle");
    if (!toggle) {
      return;
    }
    var checkbox = toggle.type === "checkbox";
    var render = function () {
      if (checkbox) {
        toggle.checked = alertsOn();
      } else {
        toggle.setAttribute("aria-pressed", alertsOn() ? "true" : "false");
      }
    };
    render();
    show("live-alert", true);
    toggle.addEventListener(checkbox ? "change" : "click", function () {
      var on = checkbox ? toggle.checked : !alertsOn();
      storageSet(ALERT_KEY, on ? "on" : "off");
      render();
      if (on) {
        audioContext(); /* created in a user gesture, so it may play later */
        if ("Notification" in window && window.Notification.permission === "default") {
          window.Notification.requestPermission();
        }
      }
    });
    /* After a reload the browser keeps audio suspended until the page is touched once. */
    var wake = function () {
      if (alertsOn()) {
        audioContext();
      }
      document.removeEventListener("pointerdown", wake);
      document.removeEventListener("keydown", wake);
    };
    document.addEventListener("pointerdown", wake);
    document.addEventListener("keydown", wake);
  }

  /* ---- the stream -------------------------------------------------------------------- */

  function follow(root) {
    var url = root.getAttribute("data-live-url");
    var current = root.getAttribute("data-live-incident");
    var base = 3000;
    var attempt = 0;
    var opened = false;
    var stopped = false;

    function state(name) {
      root.setAttribute("data-live-state", name);
      show("live-offline", name === "reconnecting");
    }

    function dispatch(detail) {
      emit("plantao:incident", detail);
      if (current && (detail.kind === "resync" || detail.ref === current)) {
        emit("plantao:current-incident", detail);
      }
    }

    function handle(block) {
      var name = "message";
      var data = [];
      block.split("\n").forEach(function (line) {
        if (line === "" || line.charAt(0) === ":") {
          return;
        }
        var colon = line.indexOf(":");
        var field = colon < 0 ? line : line.slice(0, colon);
        var value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") {
          name = value;
        } else if (field === "data") {
          data.push(value);
        } else if (field === "retry" && /^\d+$/.test(value)) {
          base = Math.max(500, parseInt(value, 10));
        }
      });
      if (name !== "incident" || data.length === 0) {
        return;
      }
      var event;
      try {
        event = JSON.parse(data.join("\n"));
      } catch (e) {
        return;
      }
      dispatch(event);
      maybeAlert(event);
    }

    function read(body) {
      var reader = body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function next() {
        return reader.read().then(function (chunk) {
          if (chunk.done) {
            return;
          }
          buffer += decoder.decode(chunk.value, { stream: true });
          var blocks = buffer.split("\n\n");
          buffer = blocks.pop();
          blocks.forEach(handle);
          return next();
        });
      }
      return next();
    }

    function end() {
      stopped = true;
      state("ended");
      show("live-session-ended", true);
      emit("plantao:live-ended", {});
    }

    function retry() {
      if (stopped) {
        return;
      }
      state("reconnecting");
      var delay = Math.min(MAX_DELAY, base * Math.pow(2, attempt));
      attempt += 1;
      window.setTimeout(connect, delay * (0.75 + Math.random() * 0.5));
    }

    function connect() {
      if (stopped) {
        return;
      }
      if (!opened) {
        state("connecting");
      }
      window
        .fetch(url, {
          credentials: "same-origin",
          cache: "no-store",
          headers: { Accept: "text/event-stream" },
        })
        .then(function (response) {
          if (response.status === 401 || response.status === 403) {
            end();
            return null;
          }
          if (!response.ok || !response.body) {
            throw new Error("live stream answered " + response.status);
          }
          attempt = 0;
          state("open");
          emit("plantao:live-open", { first: !opened });
          if (opened) {
            dispatch({ kind: "resync" });
          }
          opened = true;
          return read(response.body);
        })
        .then(retry, retry);
    }

    connect();
  }

  function start() {
    setupToggle();
    var root = document.querySelector("[data-live-url]");
    if (root && window.fetch && window.TextDecoder) {
      follow(root);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
