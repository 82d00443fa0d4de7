/*
 * Passkey ceremonies of django-ciam, without dependencies.
 *
 * A button with data-passkey="get" or data-passkey="create" runs a ceremony:
 *   data-options-url  POST here first; the answer is {"publicKey": options (base64url bytes)}
 *   data-verify-url   POST {"credential": ..., "next": ..., fields} here; the answer is
 *                     {"location": url} (the browser goes there) or {"error": message}
 *   data-next         optional page to go to after signing in
 *   data-fields       optional id of a form whose named inputs are sent with both requests
 * An element with data-passkey-autofill (on the sign-in page) starts a conditional request, so
 * the browser offers passkeys in the autofill of the input with autocomplete="... webauthn".
 * Messages go to the [data-passkey-status] element of the closest [data-passkey-root].
 * The CSRF token comes from <meta name="csrf-token">, a csrfmiddlewaretoken input, or the cookie.
 */
(function () {
  "use strict";

  var messagesNode = document.getElementById("ciam-passkeys-messages");
  var MESSAGES = messagesNode ? JSON.parse(messagesNode.textContent) : {};
  var supported = !!(window.PublicKeyCredential && navigator.credentials);
  var autofill = null; // {controller, element} of the pending conditional request

  // --- base64url <-> ArrayBuffer ---------------------------------------------------------

  function fromBase64url(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withBufferIds(descriptors) {
    return (descriptors || []).map(function (d) {
      return Object.assign({}, d, { id: fromBase64url(d.id) });
    });
  }

  function creationOptions(json) {
    return Object.assign({}, json, {
      challenge: fromBase64url(json.challenge),
      user: Object.assign({}, json.user, { id: fromBase64url(json.user.id) }),
      excludeCredentials: withBufferIds(json.excludeCredentials),
    });
  }

  function requestOptions(json) {
    return Object.assign({}, json, {
      challenge: fromBase64url(json.challenge),
      allowCredentials: withBufferIds(json.allowCredentials),
    });
  }

  function credentialJSON(credential) {
    var r = credential.response;
    var response = { clientDataJSON: toBase64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toBase64url(r.attestationObject);
      response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
    } else {
      response.authenticatorData = toBase64url(r.authenticatorData);
      response.signature = toBase64url(r.signature);
      if (r.userHandle) response.userHandle = toBase64url(r.userHandle);
    }
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: response,
    };
  }

  // --- requests --------------------------------------------------------------------------

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) return meta.content;
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    if (input && input.value) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken(),
      },
      body: JSON.stringify(body || {}),
    }).then(
      function (response) {
        return response.json().then(
          function (data) {
            if (response.ok) return data;
            var error = new Error(data.error || MESSAGES.failed);
            error.serverLocation = data.location;
            throw error;
          },
          function () {
            throw new Error(MESSAGES.failed);
          }
        );
      },
      function () {
        throw new Error(MESSAGES.offline);
      }
    );
  }

  function fields(element) {
    var id = element.getAttribute("data-fields");
    var form = id && document.getElementById(id);
    var values = {};
    if (!form) return values;
    Array.prototype.forEach.call(form.elements, function (input) {
      if (input.name && input.name !== "csrfmiddlewaretoken") values[input.name] = input.value;
    });
    return values;
  }

  // --- messages --------------------------------------------------------------------------

  function statusOf(element) {
    var root = element.closest("[data-passkey-root]") || document;
    return root.querySelector("[data-passkey-status]");
  }

  function show(element, message) {
    var status = statusOf(element);
    if (!status) return;
    status.textContent = message || "";
    status.hidden = !message;
  }

  function describe(error, ceremony) {
    if (error && error.name === "NotAllowedError") return MESSAGES.cancelled;
    if (error && error.name === "InvalidStateError" && ceremony === "create") {
      return MESSAGES.already_registered;
    }
    if (error && error.name === "SecurityError") return MESSAGES.wrong_site;
    return (error && error.message) || MESSAGES.failed;
  }

  // --- ceremonies ------------------------------------------------------------------------

  function verifyAndGo(element, credential, extra) {
    var body = Object.assign({}, extra, {
      credential: credentialJSON(credential),
      next: element.getAttribute("data-next") || "",
    });
    return post(element.getAttribute("data-verify-url"), body).then(function (result) {
      window.location.assign(result.location);
    });
  }

  function run(element) {
    var ceremony = element.getAttribute("data-passkey");
    var extra = fields(element);
    stopAutofill();
    show(element, "");
    element.disabled = true;
    element.setAttribute("aria-busy", "true");
    return post(element.getAttribute("data-options-url"), extra)
      .then(function (options) {
        if (ceremony === "create") {
          return navigator.credentials.create({ publicKey: creationOptions(options.publicKey) });
        }
        return navigator.credentials.get({ publicKey: requestOptions(options.publicKey) });
      })
      .then(function (credential) {
        return verifyAndGo(element, credential, extra);
      })
      .catch(function (error) {
        if (error && error.serverLocation && /reauthenticat/.test(error.serverLocation)) {
          window.location.assign(error.serverLocation);
          return;
        }
        show(element, describe(error, ceremony));
        element.disabled = false;
        element.removeAttribute("aria-busy");
        startAutofill();
      });
  }

  function stopAutofill() {
    if (autofill) {
      autofill.controller.abort();
      autofill = null;
    }
  }

  function startAutofill() {
    var element = document.querySelector("[data-passkey-autofill]");
    if (!supported || !element || autofill) return;
    var check = PublicKeyCredential.isConditionalMediationAvailable;
    if (typeof check !== "function") return;
    var pending = { controller: new AbortController(), element: element };
    autofill = pending;
    check
      .call(PublicKeyCredential)
      .then(function (available) {
        if (!available) throw null;
        return post(element.getAttribute("data-options-url"), {});
      })
      .then(function (options) {
        if (autofill !== pending) throw null; // the button took over meanwhile
        return navigator.credentials.get({
          publicKey: requestOptions(options.publicKey),
          mediation: "conditional",
          signal: pending.controller.signal,
        });
      })
      .then(function (credential) {
        return verifyAndGo(element, credential, {});
      })
      .catch(function (error) {
        if (autofill === pending) autofill = null;
        if (!error || error.name === "AbortError" || pending.controller.signal.aborted) return;
        // Not restarted here: a refusal would loop. The button restarts it after its attempt.
        show(element, describe(error, "get"));
      });
  }

  function init() {
    var buttons = document.querySelectorAll("[data-passkey]");
    Array.prototype.forEach.call(buttons, function (button) {
      if (!supported) {
        show(button, MESSAGES.unsupported);
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function (event) {
        event.preventDefault();
        run(button);
      });
      // Enter in the form's fields starts the ceremony instead of submitting the form.
      var form = document.getElementById(button.getAttribute("data-fields") || "");
      if (form) {
        form.addEventListener("submit", function (event) {
          event.preventDefault();
          if (!button.disabled) run(button);
        });
      }
    });
    startAutofill();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
