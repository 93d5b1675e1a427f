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

// Similar cases while typing the title and body of a new case: asked for after a pause, shown below the body.
(function () {
  var WAIT = 400;
  function show(box, cases) {
    var list = box.querySelector('.p-similar-list');
    while (list.firstChild) { list.removeChild(list.firstChild); }
    cases.forEach(function (c) {
      var item = document.createElement('li');
      item.dataset.number = c.number;
      var head = document.createElement(c.url ? 'a' : 'span');
      if (c.url) { head.href = c.url; }
      head.className = 'p-similar-title';
      head.textContent = c.number + ' ' + c.title;
      item.appendChild(head);
      var facts = document.createElement('span');
      facts.className = 'p-muted p-similar-facts';
      facts.textContent = [c.lead_unit ? box.dataset.unit + c.lead_unit : '',
                           c.stage ? box.dataset.stage + c.stage : ''].filter(Boolean).join(' · ');
      item.appendChild(facts);
      list.appendChild(item);
    });
    box.hidden = cases.length === 0;
  }
  document.addEventListener('DOMContentLoaded', function () {
    var box = document.getElementById('similar-cases');
    var form = box && box.closest('form');
    if (!form) { return; }
    var title = form.querySelector('[data-field="title"] input, [data-field="title"] textarea');
    var body = form.querySelector('[data-field="body"] textarea, [data-field="body"] input');
    var timer = null;
    var asked = 0;
    function ask() {
      var mine = ++asked;
      var query = new URLSearchParams({title: title ? title.value : '', body: body ? body.value : ''});
      fetch(box.dataset.url + '?' + query.toString(), {credentials: 'same-origin', headers: {Accept: 'application/json'}})
        .then(function (answer) { return answer.ok ? answer.json() : []; })
        .then(function (cases) { if (mine === asked) { show(box, cases); } })
        .catch(function () {});
    }
    [title, body].forEach(function (input) {
      if (!input) { return; }
      input.addEventListener('input', function () {
        clearTimeout(timer);
        timer = setTimeout(ask, WAIT);
      });
    });
    if ((title && title.value) || (body && body.value)) { ask(); }
  });
})();
