/* reCAPTCHA v3 for django-ciam: when the form is sent, ask Google for a token for this
   form's action, put it in the form, then send the form. */
(function () {
  "use strict";

  function start(input) {
    var form = input.closest("form");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      if (input.value || !window.grecaptcha) return;
      event.preventDefault();
      window.grecaptcha.ready(function () {
        window.grecaptcha
          .execute(input.dataset.sitekey, { action: input.dataset.action })
          .then(function (token) {
            input.value = token;
            if (form.requestSubmit) form.requestSubmit();
            else form.submit();
          });
      });
    });
  }

  function init() {
    document.querySelectorAll("[data-ciam-recaptcha]").forEach(start);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
