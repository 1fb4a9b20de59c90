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
      field.focus();
      field.dispatchEvent(new Event("input", { bubbles: true }));
      return;
    }
    if (e.target.closest && e.target.closest("[data-print]")) { window.print(); }
  });

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
