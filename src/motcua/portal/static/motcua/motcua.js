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
  /* A search box marked data-filter-select="<select id>" narrows that select's options to those whose text holds
     what is typed, without accents or case (a long list of communes on a phone); the chosen option stays. */
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
  }
  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-filter-select]")) { return; }
    var select = document.getElementById(box.dataset.filterSelect);
    if (!select) { return; }
    var wanted = fold(box.value.trim());
    var first = null;
    Array.prototype.forEach.call(select.options, function (option) {
      var shown = !option.value || option.selected || fold(option.text).indexOf(wanted) !== -1;
      option.hidden = !shown;
      if (shown && option.value && !first) { first = option; }
    });
    if (wanted && first && !select.value) { first.selected = true; }
  });
}());
