// oxiam console: small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Add-user wizard: the password options only matter with console access.
  var consoleBox = document.getElementById("console");
  var options = document.getElementById("console-options");
  if (consoleBox && options) {
    var sync = function () { options.disabled = !consoleBox.checked; };
    consoleBox.addEventListener("change", sync);
    sync();
  }
  // Create role: regenerate the trust policy when the trusted entity changes, unless the
  // user has edited it by hand.
  var trust = document.getElementById("trust");
  if (trust) {
    var edited = false;
    trust.addEventListener("input", function () { edited = true; });
    var gen = function () {
      if (edited) return;
      var acct = document.getElementById("trusted-account");
      var principal = acct && acct.checked
        ? { AWS: "arn:aws:iam::" + document.getElementById("account").value + ":root" }
        : { Service: document.getElementById("service").value + ".amazonaws.com" };
      trust.value = JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" }]
      }, null, 2);
    };
    ["trusted-service", "trusted-account", "service", "account"].forEach(function (id) {
      var el = document.getElementById(id);
      if (el) { el.addEventListener("change", gen); el.addEventListener("input", gen); }
    });
  }
  // Policy editor: validate as the user types, with the server's validator.
  var doc = document.querySelector("textarea[data-validate]");
  if (doc) {
    var out = document.getElementById("validation");
    var csrf = document.querySelector("#policy-form input[name=_csrf]");
    var timer = null;
    var check = function () {
      var body = new URLSearchParams();
      body.set("_csrf", csrf ? csrf.value : "");
      body.set("document", doc.value);
      fetch(doc.getAttribute("data-validate"), { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (v) {
          if (v.valid) {
            out.className = "validation ok";
            out.textContent = "Valid policy document.";
          } else {
            out.className = "validation bad";
            out.textContent = v.code + ": " + v.message + " (line " + v.line + ", column " + v.column + ")";
            if (document.activeElement !== doc && typeof v.offset === "number") {
              doc.setSelectionRange(v.offset, v.offset);
            }
          }
        })
        .catch(function () {});
    };
    doc.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 300); });
    check();
  }
})();
