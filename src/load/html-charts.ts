import { SVG_CHART } from '../charts/svg-chart.js';

/**
 * The report page's chart code: plain browser JavaScript (kept as text, since the project's
 * TypeScript has no DOM types) that draws SVG line charts from the JSON embedded in the page.
 * No libraries and no network, so the page works from a file and offline.
 */
export const CHART_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
${SVG_CHART}
  // Latency against percentile on HdrHistogram's scale: x = log10(1 / (1 − p)).
  var px = function (p) { return p >= 100 ? 5 : -Math.log10(1 - p / 100); };
  var pTicks = [[0, '0%'], [1, '90%'], [2, '99%'], [3, '99.9%'], [4, '99.99%'], [5, 'max']];
  chart('chart-latency', data.phases.map(function (ph) {
    return { name: ph.name, points: ph.curve.map(function (c) { return [px(c[0]), c[1]]; }) };
  }), { xLabel: 'percentile', yLabel: 'latency (ms)', logY: true, xTicks: pTicks });

  var t = data.timeline;
  var per = function (key) { return t.buckets.map(function (b) { return [(b.t_ms + t.bucket_ms / 2) / 1000, b[key] / (t.bucket_ms / 1000)]; }); };
  chart('chart-throughput', [
    { name: 'started /s', points: per('started') },
    { name: 'ended ok /s', points: per('completed') },
    { name: 'requests /s', points: per('requests') },
  ], { xLabel: 'seconds since start', yLabel: 'per second' });
  chart('chart-errors', [
    { name: 'journey errors /s', points: per('errors') },
    { name: 'tasks failed /s', points: per('failed') },
    { name: 'request errors /s', points: per('request_errors') },
  ], { xLabel: 'seconds since start', yLabel: 'per second' });
  document.body.setAttribute('data-charts', 'drawn');
})();
`;
