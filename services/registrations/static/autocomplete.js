// Suggests organisations from the association's register while typing the
// organisation's name, and fills in its IČO. The form works without it.
(function () {
  var input = document.getElementById("organisation_name");
  var ico = document.getElementById("organisation_ico");
  if (!input || !window.fetch) { return; }
  var list = document.createElement("ul");
  list.className = "suggestions";
  list.id = "organisation-suggestions";
  list.setAttribute("role", "listbox");
  list.hidden = true;
  input.parentNode.insertBefore(list, input.nextSibling);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");
  var timer = null, active = -1, found = [];

  function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1; }
  function choose(item) { input.value = item.name; if (ico) { ico.value = item.ico; } close(); }
  function show(items) {
    found = items; list.innerHTML = ""; active = -1;
    items.forEach(function (item, index) {
      var option = document.createElement("li");
      option.setAttribute("role", "option");
      option.id = "organisation-option-" + index;
      option.textContent = item.name + " (IČO " + item.ico + ")";
      option.addEventListener("mousedown", function (event) { event.preventDefault(); choose(item); });
      list.appendChild(option);
    });
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", items.length ? "true" : "false");
  }
  function highlight(index) {
    var options = list.querySelectorAll("li");
    options.forEach(function (option, i) { option.setAttribute("aria-selected", i === index ? "true" : "false"); });
    active = index;
    if (options[index]) { input.setAttribute("aria-activedescendant", options[index].id); }
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var query = input.value.trim();
    if (query.length < 2) { close(); return; }
    timer = setTimeout(function () {
      fetch("/api/organisations?q=" + encodeURIComponent(query))
        .then(function (answer) { return answer.ok ? answer.json() : { organisations: [] }; })
        .then(function (body) { show(body.organisations || []); })
        .catch(close);
    }, 150);
  });
  input.addEventListener("keydown", function (event) {
    if (list.hidden) { return; }
    if (event.key === "ArrowDown") { event.preventDefault(); highlight(Math.min(active + 1, found.length - 1)); }
    else if (event.key === "ArrowUp") { event.preventDefault(); highlight(Math.max(active - 1, 0)); }
    else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(found[active]); }
    else if (event.key === "Escape") { close(); }
  });
  input.addEventListener("blur", close);
})();
