// Charts of the statistics pages: every <canvas data-chart="ID"> is drawn by the vendored Chart.js
// (vendor/chartjs/chart.umd.min.js, loaded before this file) from the JSON of <script type="application/json"
// id="ID"> (motcua.stats.charts.Chart.spec, written with json_script: data, never code). Responsive: a wider
// aspect on large screens, taller on a phone; percentages get a % on the axis and in the tooltips.
(function () {
  "use strict";
  function spec(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) {
      return null;
    }
    try {
      return JSON.parse(source.textContent);
    } catch (e) {
      return null;
    }
  }
  function percent(value) {
    return value + " %";
  }
  function draw(canvas) {
    var config = spec(canvas);
    if (!config || typeof window.Chart === "undefined") {
      return;
    }
    var round = config.type === "doughnut" || config.type === "pie";
    var narrow = window.matchMedia("(max-width: 576px)").matches;
    var options = config.options || {};
    options.responsive = true;
    options.maintainAspectRatio = true;
    options.aspectRatio = round ? (narrow ? 1.6 : 2) : (narrow ? 1.2 : 2.2);
    if (options.indexAxis === "y") {
      // bars across, one band per label: the height follows the number of labels (a province's communes)
      options.maintainAspectRatio = false;
      canvas.parentNode.style.height = Math.max(180, config.data.labels.length * 28 + 90) + "px";
    }
    options.animation = window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : options.animation;
    if (config.percent) {
      var axis = options.indexAxis === "y" ? "x" : "y";
      options.scales = options.scales || {};
      options.scales[axis] = options.scales[axis] || {};
      options.scales[axis].ticks = { callback: percent };
      options.plugins = options.plugins || {};
      options.plugins.tooltip = {
        callbacks: {
          label: function (item) {
            return item.dataset.label + ": " + (item.raw === null ? "—" : percent(item.raw));
          },
        },
      };
    }
    delete config.percent;
    config.options = options;
    canvas.chart = new window.Chart(canvas, config);
  }
  function start() {
    var canvases = document.querySelectorAll("canvas[data-chart]");
    for (var i = 0; i < canvases.length; i++) {
      draw(canvases[i]);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
