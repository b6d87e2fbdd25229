/* Export progress bar: polls the task's JSON until the file is ready or the task failed. */
(function () {
  var box = document.getElementById('export');
  if (!box) return;
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(function (s) {
      var bar = document.getElementById('export-bar');
      if (s.rows_total) bar.max = s.rows_total;
      bar.value = s.rows_done;
      document.getElementById('export-text').textContent = s.rows_done + ' / ' + (s.rows_total || '?');
      if (s.ready) { document.getElementById('export-download').hidden = false; bar.value = bar.max; return; }
      if (s.status === 'failed') { var e = document.getElementById('export-error'); e.hidden = false; e.querySelector('span').textContent = s.error || ''; return; }
      setTimeout(poll, 1000);
    }).catch(function () { setTimeout(poll, 3000); });
  }
  if (box.dataset.poll === '1') poll();
})();
