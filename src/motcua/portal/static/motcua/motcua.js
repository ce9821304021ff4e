/* MotCua's few behaviours, as data attributes (the Content Security Policy allows no inline handlers). */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-autosubmit]") && target.form) { target.form.submit(); }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-print]") : null;
    if (button) { event.preventDefault(); window.print(); }
  });
  /* A form marked data-submit-once sends once: its button is disabled and shows its data-busy text. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-submit-once]")) { return; }
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    var button = form.querySelector("button:not([type=button])");
    if (button) { button.disabled = true; if (button.dataset.busy) { button.textContent = button.dataset.busy; } }
  });
}());
