// Signatures drawn on screen (finger or mouse) for the home pickup's list of papers: each canvas
// [data-signature-for=<input name>] writes a PNG data URI into its hidden input; [data-signature-clear] clears it.
(function () {
  "use strict";
  function pad(canvas) {
    var input = canvas.parentNode.querySelector('input[name="' + canvas.dataset.signatureFor + '"]');
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var touched = false;
    function size() {
      var ratio = window.devicePixelRatio || 1;
      canvas.width = canvas.clientWidth * ratio;
      canvas.height = 140 * ratio;
      ctx.scale(ratio, ratio);
      ctx.lineWidth = 2;
      ctx.lineCap = "round";
      ctx.strokeStyle = "#1a237e";
    }
    function point(event) {
      var box = canvas.getBoundingClientRect();
      return { x: event.clientX - box.left, y: event.clientY - box.top };
    }
    size();
    canvas.style.touchAction = "none";
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      var p = point(event);
      ctx.beginPath();
      ctx.moveTo(p.x, p.y);
      canvas.setPointerCapture(event.pointerId);
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) { return; }
      var p = point(event);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      touched = true;
    });
    function end() {
      if (drawing && touched && input) { input.value = canvas.toDataURL("image/png"); }
      drawing = false;
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    var clear = document.querySelector('[data-signature-clear="' + canvas.dataset.signatureFor + '"]');
    if (clear) {
      clear.addEventListener("click", function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        touched = false;
        if (input) { input.value = ""; }
      });
    }
  }
  document.querySelectorAll("canvas[data-signature-for]").forEach(pad);
})();
