// The portal's service worker (installable, last loaded pages offline) and the offline notice.
(function () {
  var me = document.currentScript;
  if ('serviceWorker' in navigator && me) {
    navigator.serviceWorker.register(me.dataset.sw, {scope: me.dataset.scope}).catch(function () {});
  }
  function mark() {
    var note = document.querySelector('.p-offline');
    if (note) { note.hidden = navigator.onLine; }
  }
  // signing out forgets the pages kept for offline use and the worker that keeps them (a shared phone)
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!form.matches('form[data-sign-out]') || form.dataset.forgotten || !window.caches) { return; }
    event.preventDefault();
    var unregister = navigator.serviceWorker ? navigator.serviceWorker.getRegistrations().then(function (all) {
      return Promise.all(all.map(function (r) { return r.unregister(); }));
    }) : Promise.resolve();
    Promise.all([caches.keys().then(function (keys) {
      return Promise.all(keys.map(function (k) { return caches.delete(k); }));
    }), unregister]).catch(function () {}).then(function () {
      form.dataset.forgotten = '1';
      form.submit();
    });
  });
  window.addEventListener('online', mark);
  window.addEventListener('offline', mark);
  document.addEventListener('DOMContentLoaded', mark);
})();
