// The event form's questions: "Přidat otázku" adds a blank row and "Odebrat otázku" removes one
// right in the page. Without JavaScript the same buttons send the form, which comes back with
// the row added or removed (nothing is saved until "Uložit").
(function () {
  "use strict";
  var rows = document.getElementById("question-rows");
  var template = document.getElementById("question-row");
  var add = document.getElementById("add-question");
  if (!rows || !template || !add || !("content" in template)) {
    return;
  }

  function renumber() {
    Array.prototype.forEach.call(rows.querySelectorAll("fieldset.question"), function (row, index) {
      row.querySelector("legend .number").textContent = String(index + 1);
    });
  }

  function nextNumber() {
    var highest = -1;
    Array.prototype.forEach.call(rows.querySelectorAll("fieldset.question"), function (row) {
      highest = Math.max(highest, parseInt(row.getAttribute("data-row"), 10));
    });
    return highest + 1;
  }

  add.addEventListener("click", function (event) {
    event.preventDefault();
    var html = template.innerHTML.replace(/__N__/g, String(nextNumber()));
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var row = holder.querySelector("fieldset.question");
    rows.appendChild(row);
    renumber();
    row.querySelector("input[name$='_label']").focus();
  });

  rows.addEventListener("click", function (event) {
    var button = event.target.closest("button.remove-question");
    if (!button) {
      return;
    }
    event.preventDefault();
    var row = button.closest("fieldset.question");
    row.parentNode.removeChild(row);
    renumber();
    add.focus();
  });
}());
