/*
 * Plantão print button: a [data-print] button (hidden without JavaScript, where the page says
 * to use the browser's print) opens the browser's print dialog, from which a PDF can be saved.
 */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
