// The batch page's live progress: every second, ask the server for the progress section
// (rendered and escaped by the server, with the page's own template) and put it in place.
// When the batch's state changes, reload once so the buttons match; stop when it is over.
(function () {
  "use strict";
  var section = document.getElementById("progress");
  if (!section || section.dataset.final === "true") {
    return;
  }
  var shownState = section.dataset.state;
  var live = document.getElementById("live");

  function later() {
    window.setTimeout(refresh, 1000);
  }

  function refresh() {
    fetch(section.dataset.url, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    })
      .then(function (response) {
        if (response.redirected) {
          // Signed out (the session ended): show the sign-in page.
          window.location.reload();
          return null;
        }
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (update) {
        if (update === null) {
          return;
        }
        section.innerHTML = update.html;
        if (update.state !== shownState) {
          window.location.reload();
          return;
        }
        if (live) {
          live.textContent = "This page updates itself every second.";
        }
        if (!update.final) {
          later();
        }
      })
      .catch(function () {
        if (live) {
          live.textContent = "Lost contact with the server; still trying…";
        }
        later();
      });
  }

  later();
})();
