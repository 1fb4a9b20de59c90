// kassa's web register: the little the pages need besides htmx. Every figure comes from
// the server; this only moves keys, prints and shows pushed progress.
(function () {
  "use strict";
  var csrf = document.body.dataset.csrf || "";

  // htmx requests carry the session's CSRF token.
  document.body.addEventListener("htmx:configRequest", function (e) {
    if (csrf) { e.detail.headers["X-CSRF-Token"] = csrf; }
  });

  // The keypad types into the amount field that last had the focus.
  var target = null;
  document.addEventListener("focusin", function (e) {
    if (e.target.matches && e.target.matches("input[data-keypad]")) { target = e.target; }
  });
  document.addEventListener("mousedown", function (e) {
    if (e.target.closest && e.target.closest(".keypad button")) { e.preventDefault(); }
  });
  document.addEventListener("click", function (e) {
    var key = e.target.closest && e.target.closest(".keypad button");
    if (key) {
      var field = target || document.querySelector("input[data-keypad]");
      if (!field) { return; }
      var k = key.dataset.key;
      field.value = k === "back" ? field.value.slice(0, -1) : field.value + k;
      // The quantity of the Sell screen is typed without taking the scanner's focus.
      if (field.id !== "times") { field.focus(); }
      field.dispatchEvent(new Event("input", { bubbles: true }));
      return;
    }
    if (e.target.closest && e.target.closest("[data-print]")) { window.print(); }
  });

  // The Sell screen: the scanner's field keeps the focus (but while staff type an amount),
  // and the codes scanned are added one after the other, each once the one before is in.
  var scan = document.getElementById("scan");
  if (scan && window.htmx) {
    var queue = Promise.resolve();
    var add = function () {
      var code = scan.value.trim();
      scan.value = "";
      if (!code) { return; }
      queue = queue.then(function () {
        // The cart's lines are read now, after the answer to the code before is in.
        var data = new FormData(scan.form);
        var times = document.getElementById("times");
        data.set("scan", code);
        data.set("times", times ? times.value : "");
        if (times) { times.value = ""; }
        return fetch("/sell/cart", {
          method: "POST", body: new URLSearchParams(data), headers: { "X-CSRF-Token": csrf }, credentials: "same-origin"
        }).then(function (r) {
          if (r.redirected || !r.ok) { window.location.reload(); return; }
          return r.text().then(function (html) {
            var cart = document.getElementById("cart");
            cart.innerHTML = html;
            htmx.process(cart);
            keep();
          });
        });
      }).catch(function () {});
    };
    // Enter in the scanner's field adds the code; it never submits the sale.
    scan.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.keyCode === 13) { e.preventDefault(); add(); }
    });
    scan.form.addEventListener("submit", function (e) {
      if (document.activeElement === scan) { e.preventDefault(); add(); }
    });
    var addButton = document.querySelector("[data-scan-add]");
    if (addButton) { addButton.addEventListener("click", add); }
    var keep = function () {
      var a = document.activeElement;
      if (a && a !== scan && a.matches("input, select, textarea")) { return; }
      scan.focus();
    };
    document.addEventListener("click", function () { setTimeout(keep, 0); });
    document.body.addEventListener("htmx:afterSwap", function () { setTimeout(keep, 0); });
    keep();
  }

  // Server-Sent Events: a block with data-sse shows each pushed progress, until done.
  document.querySelectorAll("[data-sse]").forEach(function (el) {
    var src = new EventSource(el.dataset.sse);
    src.addEventListener("progress", function (e) { el.innerHTML = e.data; });
    src.addEventListener("done", function (e) {
      el.innerHTML = e.data;
      el.dataset.done = "1";
      src.close();
    });
  });
})();
