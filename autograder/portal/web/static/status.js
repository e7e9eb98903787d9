// The receipt page's live status: poll the submission's status.json (same origin) until it is graded
// or failed, updating the page in place; the texts come translated from the server. No framework.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || live.getAttribute("data-done") === "yes") { return; }
  var url = live.getAttribute("data-status-url");
  var text = document.getElementById("status-text");
  var score = document.getElementById("status-score");
  var link = document.getElementById("feedback-link");
  var delay = 1000;
  var deadline = Date.now() + 30 * 60 * 1000; // stop after 30 minutes: the page can be reloaded

  function show(doc) {
    if (text.textContent !== doc.text) { text.textContent = doc.text; }
    score.textContent = doc.score || "";
    live.className = "status status-" + doc.status;
    if (doc.status === "graded") { link.hidden = false; }
    if (doc.done) { live.setAttribute("data-done", "yes"); }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (doc) {
        if (doc) { show(doc); }
        if (doc && doc.done) { return; }
        delay = Math.min(delay * 1.3, 5000);
        if (Date.now() < deadline) { window.setTimeout(poll, delay); }
      })
      .catch(function () {
        delay = Math.min(delay * 2, 15000);
        if (Date.now() < deadline) { window.setTimeout(poll, delay); }
      });
  }
  window.setTimeout(poll, 500);
}());
