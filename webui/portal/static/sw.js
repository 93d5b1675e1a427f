// 掌上提案's service worker: pages of the portal come from the network and are kept as they load, so that
// the last loaded list and cases are there offline; the style and the icon are kept at install.
var CACHE = 'portal-v1';
var SCOPE = new URL('./', self.registration ? self.registration.scope : self.location).pathname;
var SHELL = [SCOPE, SCOPE + 'static/portal.css', SCOPE + 'static/portal.js', SCOPE + 'static/icon.svg'];

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(SHELL).catch(function () {});
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET') { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf(SCOPE) !== 0) { return; }
  if (url.pathname === SCOPE + 'similar') { return; }  // answers while typing: never kept
  event.respondWith(fetch(request).then(function (answer) {
    // only whole pages of the signed-in person (not a redirect to the sign-in page) are kept
    if (answer.ok && !answer.redirected) {
      var copy = answer.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return answer;
  }).catch(function () {
    return caches.match(request).then(function (kept) {
      return kept || caches.match(SCOPE) || new Response('offline', {status: 503});
    });
  }));
});
