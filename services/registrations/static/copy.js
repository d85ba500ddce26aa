// "Kopírovat" next to the payment details on the manage page. Progressive enhancement: without
// this script the buttons stay hidden and the values are plain text to select. Copies with the
// Clipboard API; where it is missing or refused (a page over plain http), selects the value so
// that the phone's own "Kopírovat" is one tap away. An external file: the CSP allows no inline script.
(function () {
  "use strict";
  var status = document.querySelector(".copy-status");

  function say(text) {
    if (status) { status.textContent = text; }
  }

  function select(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var value = button.getAttribute("data-copy");
      var shown = document.getElementById(button.getAttribute("data-copy-of"));
      var fallback = function () {
        if (shown) { select(shown); }
        say("Údaj je označený, zkopírujte ho podržením prstu nebo Ctrl+C.");
      };
      if (!navigator.clipboard || !window.isSecureContext) { fallback(); return; }
      navigator.clipboard.writeText(value).then(function () {
        say("Zkopírováno: " + value);
      }, fallback);
    });
  });
}());
