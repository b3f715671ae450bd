// Draws each outbox's last hour with uPlot (served from the dashboard's own assets). The page
// works without this script: the same samples are in the table below each chart.
(function () {
  'use strict';
  if (typeof uPlot !== 'function') return;
  document.querySelectorAll('figure.chart').forEach(function (figure) {
    var data = document.getElementById(figure.getAttribute('data-series'));
    var canvas = figure.querySelector('.chart-canvas');
    if (!data || !canvas) return;
    var s = JSON.parse(data.textContent);
    if (s.t.length < 2) {
      canvas.textContent = 'Collecting samples…';
      return;
    }
    var opts = {
      width: Math.max(320, canvas.clientWidth || 640),
      height: 220,
      series: [
        {},
        { label: s.fed ? 'delivered / min' : 'delivered / min (no relay events)', stroke: '#2563eb', width: 2, scale: 'rate' },
        { label: 'pending', stroke: '#d97706', width: 1.5, scale: 'count' },
        { label: 'dead', stroke: '#dc2626', width: 1.5, scale: 'count' },
      ],
      axes: [{}, { scale: 'rate', label: 'per min' }, { scale: 'count', side: 1, grid: { show: false }, label: 'messages' }],
      scales: { x: { time: true } },
    };
    new uPlot(opts, [s.t, s.delivered, s.pending, s.dead], canvas);
    var table = figure.querySelector('details.samples');
    if (table) table.removeAttribute('open');
  });
})();
