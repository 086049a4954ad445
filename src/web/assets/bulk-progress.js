// Live progress of a bulk issuance job through server-sent events; the page works without it (refresh link).
(function () {
  var box = document.querySelector('.progress[data-events]');
  if (!box || typeof EventSource === 'undefined') return;
  var bar = document.getElementById('bulk-progress');
  var text = document.getElementById('bulk-progress-text');
  var template = text ? text.getAttribute('data-template') : null;
  var source = new EventSource(box.getAttribute('data-events'));
  source.addEventListener('progress', function (event) {
    var p = JSON.parse(event.data);
    if (bar) {
      bar.value = p.percent;
      bar.textContent = p.percent + ' %';
    }
    if (text && p.label) text.textContent = p.label;
    if (p.status === 'completed') {
      source.close();
      window.location.assign(box.getAttribute('data-done-url'));
    }
  });
  source.addEventListener('error', function () {
    /* the browser reconnects by itself */
  });
  void template;
})();
