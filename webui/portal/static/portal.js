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
  window.addEventListener('online', mark);
  window.addEventListener('offline', mark);
  document.addEventListener('DOMContentLoaded', mark);
})();
