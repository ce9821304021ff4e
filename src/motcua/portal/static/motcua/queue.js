/* The waiting room's behaviours (docs/counters.md), as data attributes: the Content Security Policy allows no
   inline script.
   - The display board (#board, refreshed by htmx every 2 s) carries data-chime, a signature of the last call; when
     it changes (a new call or a recall) the page chimes: a two-tone "ding-dong" from WebAudio oscillators (no
     sound file, no CDN). Browsers play sound only after a gesture: the "sound on" button (data-sound-on) starts
     it. Each chime counts in <body data-chimes>, which the browser test reads.
   - The kiosk's ticket (data-return-after="<s>") goes back to the list of services after that many seconds. */
(function () {
  "use strict";
  var audio = null;
  var lastSignature = null;

  function tone(context, frequency, start, length) {
    var oscillator = context.createOscillator();
    var gain = context.createGain();
    oscillator.type = "sine";
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, context.currentTime + start);
    gain.gain.exponentialRampToValueAtTime(0.5, context.currentTime + start + 0.03);
    gain.gain.exponentialRampToValueAtTime(0.0001, context.currentTime + start + length);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(context.currentTime + start);
    oscillator.stop(context.currentTime + start + length + 0.05);
  }

  function chime() {
    var body = document.body;
    body.dataset.chimes = String(parseInt(body.dataset.chimes || "0", 10) + 1);
    if (audio && audio.state === "running") {
      tone(audio, 880, 0, 0.6);
      tone(audio, 660, 0.45, 0.9);
      body.dataset.chimePlayed = body.dataset.chimes;
    }
  }

  function readBoard() {
    var board = document.getElementById("board");
    if (!board) { return; }
    var signature = board.dataset.chime;
    if (lastSignature !== null && signature !== lastSignature && signature !== "0") { chime(); }
    lastSignature = signature;
  }

  document.addEventListener("DOMContentLoaded", function () {
    readBoard();
    var ticket = document.querySelector("[data-return-after]");
    if (ticket) {
      window.setTimeout(function () { window.location.assign(ticket.dataset.returnTo); },
        parseInt(ticket.dataset.returnAfter, 10) * 1000);
    }
  });
  document.addEventListener("htmx:afterSettle", readBoard);
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-sound-on]") : null;
    if (!button) { return; }
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return; }
    audio = audio || new Context();
    audio.resume().then(function () {
      button.hidden = true;
      tone(audio, 880, 0, 0.3);
    });
  });
}());
