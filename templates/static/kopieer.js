// The copy button of a personal link (templates/_partials/personal_link.html). Without this
// script the link stays selectable text in a read-only field; with it, one press copies it.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var said = document.getElementById(field.id + "-gekopieerd");
    button.hidden = false;
    button.addEventListener("click", function () {
      field.select();
      var done = function () { said.textContent = said.getAttribute("data-copied"); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () {
          if (document.execCommand("copy")) { done(); }
        });
      } else if (document.execCommand("copy")) {
        done();
      }
    });
  });
})();
