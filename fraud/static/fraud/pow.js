/* The built-in proof of work of django-ciam (fraud/protection/captcha/proof_of_work.py).
   Finds a counter such that SHA-256(challenge + ":" + counter) starts with `difficulty` zero
   bits, with SubtleCrypto, and puts it in the form. Sending the form before the answer is
   found waits for it. Without SubtleCrypto (old browser, page not on https) it says so. */
(function () {
  "use strict";

  var BATCH = 256;

  function hasZeroBits(buffer, bits) {
    var bytes = new Uint8Array(buffer);
    var whole = bits >> 3;
    var rest = bits & 7;
    for (var i = 0; i < whole; i++) {
      if (bytes[i] !== 0) return false;
    }
    return rest === 0 || (bytes[whole] >> (8 - rest)) === 0;
  }

  function solve(challenge, bits) {
    var encoder = new TextEncoder();
    function batch(start) {
      var digests = [];
      for (var n = start; n < start + BATCH; n++) {
        digests.push(crypto.subtle.digest("SHA-256", encoder.encode(challenge + ":" + n)));
      }
      return Promise.all(digests).then(function (results) {
        for (var i = 0; i < results.length; i++) {
          if (hasZeroBits(results[i], bits)) return String(start + i);
        }
        return batch(start + BATCH);
      });
    }
    return batch(0);
  }

  function start(box) {
    var form = box.closest("form");
    var output = box.querySelector("[data-ciam-pow-solution]");
    var status = box.querySelector("[data-ciam-pow-status]");
    if (!form || !output) return;
    if (!(window.crypto && crypto.subtle && window.TextEncoder)) {
      if (status) {
        status.textContent = box.dataset.unsupported;
        status.classList.add("ciam-alert--warning");
      }
      return;
    }
    var waiting = false;
    var done = false;
    if (status) status.textContent = box.dataset.working;
    box.setAttribute("aria-busy", "true");
    form.addEventListener("submit", function (event) {
      if (done) return;
      event.preventDefault();
      waiting = true;
    });
    solve(box.dataset.challenge, parseInt(box.dataset.difficulty, 10)).then(function (answer) {
      output.value = answer;
      done = true;
      box.removeAttribute("aria-busy");
      box.setAttribute("data-ciam-pow-solved", "");
      if (status) {
        status.textContent = box.dataset.done;
        status.classList.add("ciam-alert--success");
      }
      if (waiting) {
        if (form.requestSubmit) form.requestSubmit();
        else form.submit();
      }
    });
  }

  function init() {
    document.querySelectorAll("[data-ciam-pow]").forEach(start);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
