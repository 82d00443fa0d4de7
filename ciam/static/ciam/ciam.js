/* Small progressive enhancements of the hosted pages; every page works without them.
   Kept out of the templates so a site can run a strict Content-Security-Policy. */
(function () {
  "use strict";

  function announce(text) {
    var status = document.getElementById("ciam-copy-status");
    if (status) status.textContent = text;
  }

  function copyButton(button, text) {
    if (!navigator.clipboard) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(text()).then(function () {
        button.textContent = button.getAttribute("data-ciam-copied") || label;
        announce(button.getAttribute("data-ciam-announce") || "");
        setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  }

  // Copy the TOTP setup key.
  document.querySelectorAll("[data-ciam-copy]").forEach(function (button) {
    copyButton(button, function () { return button.getAttribute("data-ciam-copy"); });
  });

  // Copy all backup codes, one a line.
  document.querySelectorAll("[data-ciam-copy-codes]").forEach(function (button) {
    var list = document.getElementById(button.getAttribute("data-ciam-copy-codes"));
    if (!list) return;
    copyButton(button, function () {
      return Array.prototype.map.call(list.querySelectorAll("li"), function (li) {
        return li.textContent.trim();
      }).join("\n");
    });
  });

  document.querySelectorAll("[data-ciam-print]").forEach(function (button) {
    if (!window.print) return;
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // Backup codes hold letters: let phones show a full keyboard once the hint is open.
  document.querySelectorAll("details[data-ciam-keyboard-for]").forEach(function (hint) {
    var input = document.getElementById(hint.getAttribute("data-ciam-keyboard-for"));
    if (!input) return;
    hint.addEventListener("toggle", function () {
      input.inputMode = hint.open ? "text" : "numeric";
      input.focus();
    });
  });
})();
