/* Tables scroll sideways inside .app-table-wrap on phones and at 200 % zoom. A wrapper that scrolls
   must be reachable by keyboard (WCAG 2.1.1), so it becomes a focusable region named after its
   table's caption; one that fits stays out of the tab order. */
(function () {
  "use strict";
  function update(root) {
    (root || document).querySelectorAll(".app-table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        var caption = wrap.querySelector("caption");
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", (caption ? caption.textContent.trim() + " " : "") + "(scrolls sideways)");
      } else if (wrap.hasAttribute("tabindex")) {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  }
  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () { update(); }, 100);
  });
  document.addEventListener("htmx:afterSettle", function (event) { update(event.target); });
  update();
})();
