// The door's service worker (served as /vstup/sw.js, its scope the door): the door's pages and their
// scripts are fetched from the network when there is one and kept; without a signal the kept copy
// answers, so that a door page opened once opens again. A ticket posted while the connection fails
// mid-way comes back to the kept page as #kod=..., where door_offline.js decides it on the phone.
"use strict";
var CACHE = "dvere";
var STATIC = ["/static/console.css", "/static/door.js", "/static/door_offline.js", "/static/jsQR.js",
              "/static/favicon.svg"];

function doorPage(url) {
  return /^\/vstup\/[0-9]+$/.test(url.pathname);
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(STATIC); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.method === "GET" && (doorPage(url) || STATIC.indexOf(url.pathname) >= 0)) {
    event.respondWith(fetch(request).then(function (response) {
      // Only the page itself (not a search, not a login page it was sent to) is kept.
      if (response.ok && !response.redirected && !url.search) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { return cache.put(url.pathname, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(url.pathname).then(function (kept) { return kept || Response.error(); });
    }));
  } else if (request.method === "POST" && request.mode === "navigate" && doorPage(url)) {
    var copy = request.clone();
    event.respondWith(fetch(request).catch(function () {
      return copy.formData().then(function (form) {
        var code = form.get("code");
        return Response.redirect(url.pathname + (code ? "#kod=" + encodeURIComponent(code) : ""), 303);
      });
    }));
  }
});
