/*
 * Plantão copy buttons: <button data-copy="ID" data-copied="Copied" data-copy-failed="…" hidden>
 * copies the value (or text) of the element with that id to the clipboard. The buttons ship
 * hidden and this script shows them, so a page without JavaScript offers only what works there
 * (the value in a read-only input, selectable by hand). The next sibling .ad-copy-status (a
 * polite live region) says whether it worked, for screen readers and for eyes.
 *
 * navigator.clipboard needs a secure context (https or localhost); elsewhere the value is
 * selected and document.execCommand("copy") is tried, and failing that the value stays
 * selected with a message asking to copy it by hand.
 */
(function () {
  "use strict";

  function say(button, text) {
    var status = button.nextElementSibling;
    if (status && status.classList.contains("ad-copy-status")) {
      status.textContent = text;
      window.setTimeout(function () { status.textContent = ""; }, 4000);
    }
  }

  function selectValue(target) {
    if (typeof target.select === "function") {
      target.focus();
      target.select();
      return true;
    }
    var range = document.createRange();
    range.selectNodeContents(target);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return true;
  }

  function fallback(button, target) {
    selectValue(target);
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (e) {
      copied = false;
    }
    say(button, copied ? button.dataset.copied : button.dataset.copyFailed);
  }

  function copy(button) {
    var target = document.getElementById(button.dataset.copy);
    if (!target) {
      return;
    }
    var value = "value" in target ? target.value : target.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(value).then(
        function () { say(button, button.dataset.copied); },
        function () { fallback(button, target); }
      );
    } else {
      fallback(button, target);
    }
  }

  function wire(root) {
    var buttons = root.querySelectorAll("button[data-copy]");
    for (var i = 0; i < buttons.length; i++) {
      var button = buttons[i];
      if (button.dataset.copyWired) {
        continue;
      }
      button.dataset.copyWired = "1";
      button.hidden = false;
      button.addEventListener("click", function (event) { copy(event.currentTarget); });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { wire(document); });
  } else {
    wire(document);
  }
  document.addEventListener("htmx:afterSwap", function (event) { wire(event.target); });
})();
