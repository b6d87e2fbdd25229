/* Dashboard charts (Chart.js); data comes from the JSON block #chart-data. */
(function () {
  var source = document.getElementById('chart-data');
  if (!source || typeof Chart === 'undefined') return;
  var data = JSON.parse(source.textContent);
  // numbers on the axes and in the tooltips as the page's language writes them (300 000 in Russian)
  Chart.defaults.locale = document.documentElement.lang || 'ru';
  var kinds = {status: 'bar', weekly: 'line', revenue: 'bar', partners: 'bar', status_hours: 'bar', engineers: 'bar', managers: 'bar'};
  Object.keys(kinds).forEach(function (key) {
    var rows = data[key] || [];
    var canvas = document.getElementById('chart-' + key);
    if (!rows.length || !canvas) return;
    new Chart(canvas, {
      type: kinds[key],
      data: {labels: rows.map(function (r) { return r[0]; }),
             datasets: [{data: rows.map(function (r) { return r[1]; }), backgroundColor: '#2f6fdb88', borderColor: '#2f6fdb'}]},
      options: {plugins: {legend: {display: false}}, indexAxis: key === 'partners' ? 'y' : 'x', animation: false}
    });
  });
})();
