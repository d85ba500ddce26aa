// When a whole IČO is typed, asks /api/organisations/<ico> (the association's register, else
// ARES) and fills in the organisation's name when the field is empty or was filled here, and
// shows its address and DIČ under the IČO. Slow, failing or missing: the form works as before.
(function () {
  var ico = document.getElementById("organisation_ico");
  var name = document.getElementById("organisation_name");
  if (!ico || !name || !window.fetch) { return; }
  var note = document.createElement("p");
  note.className = "hint lookup";
  note.id = "organisation-lookup";
  note.setAttribute("aria-live", "polite");
  ico.parentNode.appendChild(note);
  var filled = null, asked = null;

  function say(text) { note.textContent = text || ""; }
  function show(found) {
    if (found.status !== "found") { say(found.message); return; }
    if (!name.value.trim() || name.value === filled) { name.value = found.name; filled = found.name; }
    var parts = [found.name];
    if (found.address) { parts.push(found.address); }
    if (found.dic) { parts.push("DIČ " + found.dic); }
    say((found.source === "ares" ? "Podle registru ARES: " : "Podle evidence sdružení: ") + parts.join(", "));
  }
  function lookUp() {
    var value = ico.value.replace(/\s+/g, "");
    if (!/^[0-9]{8}$/.test(value)) { asked = null; say(""); return; }
    if (value === asked) { return; }
    asked = value;
    say("Hledáme organizaci podle IČO…");
    fetch("/api/organisations/" + value, { headers: { "Accept": "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (found) { if (asked === value) { if (found) { show(found); } else { say(""); } } })
      .catch(function () { if (asked === value) { say(""); } });
  }
  ico.addEventListener("input", lookUp);
  ico.addEventListener("change", lookUp);
})();
