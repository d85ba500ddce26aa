// Search as you type: rows of the table whose text does not hold what is typed are hidden.
// Without JavaScript the same field searches on the server (the form's GET).
(function () {
  "use strict";
  var input = document.querySelector("[data-filters]");
  if (!input) {
    return;
  }
  var rows = document.querySelectorAll(input.getAttribute("data-filters") + " tbody tr");
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  input.addEventListener("input", function () {
    var wanted = fold(input.value.trim());
    rows.forEach(function (row) {
      row.hidden = wanted !== "" && fold(row.textContent).indexOf(wanted) === -1;
    });
  });
}());
