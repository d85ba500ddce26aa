// The door without a signal. Once the door page of an event is opened on its day, the phone keeps
// the day's list of valid tickets (SHA-256 of each code and the name to show; never a code or the
// signing key) in localStorage. Without a connection it decides here: a ticket on the list and not
// yet in is admitted and queued with the moment it was scanned; the queue goes to the console
// (/vstup/<id>/fronta) as soon as the connection returns, and the console's answers are shown,
// two phones admitting one ticket among them. The service worker (/vstup/sw.js) keeps this page
// and its scripts, so that the page opens again without a signal.
(function () {
  "use strict";
  var door = document.getElementById("door");
  var form = document.getElementById("check-in");
  var panel = document.getElementById("offline");
  if (!door || !form || !panel || !window.localStorage || !window.crypto || !window.crypto.subtle) {
    return;  // no storage or no hashing (a page not served over HTTPS): the door works online only
  }
  var eventId = door.getAttribute("data-event");
  var LIST_KEY = "dvere:" + eventId + ":seznam";
  var QUEUE_KEY = "dvere:" + eventId + ":fronta";
  var SENT_KEY = "dvere:" + eventId + ":odeslano";
  var DEVICE_KEY = "dvere:telefon";
  var BATCH = 100;
  var reachable = navigator.onLine;  // false also after a request failed although the phone thinks it is online
  var sending = false;

  function read(key, fallback) {
    try {
      var value = window.localStorage.getItem(key);
      return value ? JSON.parse(value) : fallback;
    } catch (error) {
      return fallback;
    }
  }

  function write(key, value) {
    window.localStorage.setItem(key, JSON.stringify(value));
  }

  function device() {
    var id = window.localStorage.getItem(DEVICE_KEY);
    if (!id) {
      var bytes = new Uint8Array(3);
      window.crypto.getRandomValues(bytes);
      id = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
      window.localStorage.setItem(DEVICE_KEY, id);
    }
    return id;
  }

  function hash(code) {
    var bytes = new TextEncoder().encode(code.trim().toUpperCase());
    return window.crypto.subtle.digest("SHA-256", bytes).then(function (digest) {
      return Array.prototype.map.call(new Uint8Array(digest), function (b) {
        return ("0" + b.toString(16)).slice(-2);
      }).join("");
    });
  }

  function today() {
    var now = new Date();
    return now.getFullYear() + "-" + ("0" + (now.getMonth() + 1)).slice(-2) + "-" + ("0" + now.getDate()).slice(-2);
  }

  function clock(iso) {
    var moment = new Date(iso);
    return moment.getHours() + ":" + ("0" + moment.getMinutes()).slice(-2) + ":" + ("0" + moment.getSeconds()).slice(-2);
  }

  function day(iso) {
    var parts = iso.slice(0, 10).split("-");
    return Number(parts[2]) + ". " + Number(parts[1]) + ". " + parts[0];
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function listOfToday() {
    var list = read(LIST_KEY, null);
    return list && list.fetched_on === today() ? list : null;
  }

  function show() {
    var list = read(LIST_KEY, null);
    var queue = read(QUEUE_KEY, []);
    var state = document.getElementById("offline-state");
    var count = door.querySelector(".count");
    if (list && count) {
      count.textContent = "Uvnitř " + list.tickets.filter(function (t) { return t.checked_in_at; }).length +
        " z " + list.tickets.length;
    }
    panel.hidden = false;
    panel.classList.toggle("is-offline", !reachable);
    if (reachable) {
      state.textContent = list ? "Připojeno. Pro práci bez signálu má telefon seznam " + list.tickets.length +
        " platných vstupenek (stažen " + day(list.fetched_at) + " v " + clock(list.fetched_at) + ")."
        : "Připojeno. Seznam vstupenek pro práci bez signálu se stahuje…";
    } else if (listOfToday()) {
      state.textContent = "Bez připojení: o vstupu rozhoduje tento telefon podle seznamu vstupenek staženého v " +
        clock(list.fetched_at) + ". Odbavení se odešlou, až bude signál.";
    } else {
      state.textContent = "Bez připojení a bez dnešního seznamu vstupenek: telefon nemůže vstupenky ověřit. " +
        "Zapisujte si kódy a odbavte je, až bude signál.";
    }
    document.getElementById("offline-waiting").textContent = queue.length
      ? "Čeká na odeslání: " + queue.length + " odbavení." : "Nic nečeká na odeslání.";
    var shown = document.getElementById("offline-queue");
    shown.textContent = "";
    queue.forEach(function (item) {
      shown.appendChild(element("li", "queued", item.name + " – vpuštěn(a) v " + clock(item.scanned_at) +
        ", čeká na odeslání"));
    });
  }

  function answer(kind, text, note) {
    var old = document.querySelector(".door > .door-answer");
    if (old) {
      old.remove();  // the server's answer to an earlier ticket
    }
    var place = document.getElementById("offline-answer");
    place.textContent = "";
    var paragraph = element("p", "door-answer " + kind, text);
    paragraph.setAttribute("role", kind === "ok" ? "status" : "alert");
    if (note) {
      paragraph.appendChild(element("span", "door-note", note));
    }
    place.appendChild(paragraph);
    form.elements.code.value = "";  // ready for the next ticket
  }

  function refreshList() {
    return fetch("/vstup/" + eventId + "/seznam.json", { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok || (response.headers.get("Content-Type") || "").indexOf("application/json") !== 0) {
          throw new Error("no list");
        }
        return response.json();
      })
      .then(function (list) {
        list.fetched_at = new Date().toISOString();
        list.fetched_on = today();
        write(LIST_KEY, list);
        reachable = true;
        show();
      })
      .catch(function () {
        if (!navigator.onLine) {
          reachable = false;
        }
        show();
      });
  }

  function showSent(results, conflicts) {
    var place = document.getElementById("offline-sent");
    place.textContent = "";
    place.appendChild(element("p", null, "Odesláno z telefonu: " + results.length + " odbavení."));
    var list = element("ul", "sent");
    results.forEach(function (result) {
      list.appendChild(element("li", "sent-" + result.result, result.message));
    });
    place.appendChild(list);
    var existing = document.querySelector(".door > .door-conflicts");
    if (conflicts.length) {
      var section = element("section", "door-conflicts");
      section.setAttribute("role", "alert");
      section.appendChild(element("h2", null, "Dvojí vstup na jednu vstupenku"));
      section.appendChild(element("p", null, "Tyto vstupenky vpustily dva telefony bez signálu. Platí první " +
        "vstup; ověřte prosím, kdo je uvnitř."));
      var items = element("ul");
      conflicts.forEach(function (c) {
        items.appendChild(element("li", null, c.name + (c.organisation ? " (" + c.organisation + ")" : "") +
          ": poprvé " + day(c.first_at) + " " + clock(c.first_at) + " (" + (c.first_by || "odbaveno online") +
          "), podruhé " + day(c.second_at) + " " + clock(c.second_at) + " (" + (c.second_by || "odbaveno online") +
          "). Jako čas příchodu platí " + day(c.first_at) + " " + clock(c.first_at) + "."));
      });
      section.appendChild(items);
      if (existing) {
        existing.replaceWith(section);
      } else {
        document.getElementById("offline-answer").after(section);
      }
    }
  }

  // Send the queue, BATCH at a time; an item leaves the queue only once the console answered it.
  function send() {
    var queue = read(QUEUE_KEY, []);
    if (sending || !queue.length || !navigator.onLine) {
      show();
      return Promise.resolve();
    }
    sending = true;
    var batch = queue.slice(0, BATCH);
    var body = new URLSearchParams();
    body.set("csrf", form.elements.csrf.value);
    body.set("device", device());
    body.set("items", JSON.stringify(batch.map(function (item) {
      return { code: item.code, scanned_at: item.scanned_at };
    })));
    return fetch("/vstup/" + eventId + "/fronta", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (response.redirected || !json) {
          throw new Error(response.redirected ? "login" : "unavailable");
        }
        return response.json().then(function (answered) {
          if (!response.ok) {
            throw new Error(answered.message);
          }
          return answered;
        });
      })
      .then(function (answered) {
        var left = read(QUEUE_KEY, []).filter(function (item) {
          return !batch.some(function (sent) { return sent.code === item.code && sent.scanned_at === item.scanned_at; });
        });
        write(QUEUE_KEY, left);
        write(SENT_KEY, answered);
        document.getElementById("offline-answer").textContent = "";
        reachable = true;
        sending = false;
        showSent(answered.results, answered.conflicts);
        return left.length ? send() : refreshList();
      })
      .catch(function (error) {
        sending = false;
        if (error.message === "login") {
          answer("warning", "Přihlášení vypršelo: přihlaste se znovu.", "Odbavení zůstávají v telefonu a odešlou se potom.");
        } else if (error.message !== "unavailable" && error.message !== "Failed to fetch") {
          answer("warning", "Odbavení z telefonu se nepodařilo odeslat: " + error.message);
        } else if (!navigator.onLine) {
          reachable = false;
        }
        show();
      });
  }

  // A ticket decided here, without the console.
  function decide(code, digest) {
    var list = listOfToday();
    if (!list) {
      answer("refused", "Nelze ověřit: telefon nemá dnešní seznam vstupenek.",
        "Zapište si kód a odbavte ho, až bude signál.");
      return;
    }
    if (list.days.indexOf(today()) < 0) {
      answer("refused", "Nelze: akce dnes neprobíhá.", "Bez připojení lze vpouštět jen v den akce.");
      return;
    }
    var ticket = list.tickets.filter(function (t) { return t.hash === digest; })[0];
    if (!ticket) {
      answer("refused", "Nelze: vstupenka není na dnešním seznamu platných vstupenek.",
        "Může být padělaná, zrušená, nebo na jinou akci.");
      return;
    }
    if (ticket.checked_in_at) {
      answer("refused", "Nelze: vstupenka už byla odbavena (" + clock(ticket.checked_in_at) + ").");
      return;
    }
    var queue = read(QUEUE_KEY, []);
    var scannedAt = new Date().toISOString();
    queue.push({ code: code.trim().toUpperCase(), hash: digest, name: ticket.name, scanned_at: scannedAt });
    write(QUEUE_KEY, queue);
    ticket.checked_in_at = scannedAt;  // a second scan on this phone is refused
    write(LIST_KEY, list);
    answer("ok", "Vstup povolen: " + ticket.name, "bez signálu – čeká na odeslání");
    form.elements.code.value = "";
    show();
  }

  form.addEventListener("submit", function (event) {
    if (form.getAttribute("data-checked") === "ano") {
      return;
    }
    event.preventDefault();
    var code = form.elements.code.value;
    hash(code).then(function (digest) {
      var queued = read(QUEUE_KEY, []).filter(function (item) { return item.hash === digest; })[0];
      if (queued) {
        answer("refused", "Nelze: vstupenka už byla odbavena (" + clock(queued.scanned_at) + ").",
          "Odbavil ji tento telefon, čeká na odeslání.");
      } else if (!reachable || !navigator.onLine) {
        decide(code, digest);
      } else {
        form.setAttribute("data-checked", "ano");
        form.submit();  // online: the console decides, as it always has
      }
    });
  });

  // Logging out on this phone forgets the list, the queue (if sent) and the kept pages.
  Array.prototype.forEach.call(document.querySelectorAll("form[action='/odhlasit']"), function (logout) {
    logout.addEventListener("submit", function (event) {
      if (read(QUEUE_KEY, []).length &&
          !window.confirm("V telefonu čekají neodeslaná odbavení. Po odhlášení zůstanou uložená. Odhlásit?")) {
        event.preventDefault();
        return;
      }
      window.localStorage.removeItem(LIST_KEY);
      if (window.caches) {
        window.caches.delete("dvere");
      }
    });
  });

  window.addEventListener("online", function () {
    reachable = true;
    show();
    send().then(refreshList);
  });
  window.addEventListener("offline", function () {
    reachable = false;
    show();
  });
  window.setInterval(function () {
    if (navigator.onLine) {
      send();
    }
  }, 30000);

  if (navigator.serviceWorker) {
    // The page was loaded before the service worker was there: keep it now, as it will keep it later.
    navigator.serviceWorker.register("/vstup/sw.js", { scope: "/vstup/" })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function () { return window.caches.open("dvere"); })
      .then(function (cache) { return navigator.onLine ? cache.add(window.location.pathname) : null; })
      .catch(function () { return null; });
  }
  device();  // this phone's id, made once: staff read it in a conflict
  var last = read(SENT_KEY, null);
  if (last && last.conflicts && last.conflicts.length) {
    showSent(last.results, last.conflicts);
  }
  // A ticket the service worker took while the connection failed mid-way (#kod=...): decided here.
  var kept = /^#kod=(.+)$/.exec(window.location.hash);
  if (kept) {
    reachable = false;
    history.replaceState(null, "", window.location.pathname);
    form.elements.code.value = decodeURIComponent(kept[1]);
  }
  show();
  (navigator.onLine ? send().then(refreshList) : Promise.resolve()).then(function () {
    if (kept) {
      hash(form.elements.code.value).then(function (digest) { decide(form.elements.code.value, digest); });
    }
  });
}());
