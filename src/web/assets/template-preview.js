// Live preview of the template editor: re-posts the form (debounced) to the preview route and shows the card it
// returns. The server escapes every value (html`` tag), so the fragment is safe to insert. Without JavaScript the
// "Prévisualiser" button posts the same form and renders the whole page.
(function () {
  'use strict';
  var form = document.querySelector('form[data-preview]');
  if (!form || !window.fetch || !window.FormData || !window.URLSearchParams) return;
  var panel = document.getElementById(form.getAttribute('data-preview-target') || '');
  var url = form.getAttribute('data-preview');
  if (!panel || !url) return;
  var timer = null;
  var seq = 0;

  function refresh() {
    var mine = ++seq;
    var body = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (typeof value === 'string') body.append(key, value);
    });
    panel.setAttribute('aria-busy', 'true');
    fetch(url, {
      method: 'POST',
      body: body,
      credentials: 'same-origin',
      headers: { Accept: 'text/html' },
    })
      .then(function (res) {
        // 200: the card; 400: the list of problems. Anything else (session ended…) leaves the last preview.
        if (res.status !== 200 && res.status !== 400) return null;
        return res.text();
      })
      .then(function (text) {
        if (mine !== seq || text === null) return;
        panel.innerHTML = text;
      })
      .catch(function () {
        // Offline or aborted: keep the last preview.
      })
      .then(function () {
        if (mine === seq) panel.removeAttribute('aria-busy');
      });
  }

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  }

  form.addEventListener('input', schedule);
  form.addEventListener('change', schedule);
})();
