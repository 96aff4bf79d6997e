/**
 * One SVG line chart, as browser JavaScript text (the project's TypeScript has no DOM types),
 * shared by the load report and the live dashboard. Defines `node(name, attrs, parent, text)`,
 * `fmt(v)` and `chart(id, series, opts)`; drawing again replaces what was drawn.
 *
 * series: [{name, points: [[x, y]], color?, dash?, legend?: false}]
 * opts: {xLabel, yLabel, logY?, xTicks?: [[x, label]], xMin?, xMax?, dots?: false, empty?: text}
 */
export const SVG_CHART = String.raw`
  var NS = 'http://www.w3.org/2000/svg';
  var COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04', '#db2777', '#65a30d', '#7c3aed'];

  function node(name, attrs, parent, text) {
    var e = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  function fmt(v) {
    if (v === 0) return '0';
    var a = Math.abs(v);
    if (a >= 1000) return (v / 1000).toFixed(a >= 10000 ? 0 : 1) + 'k';
    if (a >= 10) return v.toFixed(0);
    if (a >= 1) return v.toFixed(1);
    return v.toPrecision(2);
  }

  function chart(id, series, opts) {
    var svg = document.getElementById(id);
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var W = 760, H = 300, L = 64, R = 150, T = 14, B = 44;
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    var pts = [];
    series.forEach(function (s) { s.points.forEach(function (p) { pts.push(p); }); });
    if (opts.logY) pts = pts.filter(function (p) { return p[1] > 0; });
    if (pts.length === 0) {
      node('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, svg, opts.empty || 'no data');
      return;
    }
    var xMin = opts.xMin !== undefined ? opts.xMin : Math.min.apply(null, pts.map(function (p) { return p[0]; }));
    var xMax = opts.xMax !== undefined ? opts.xMax : Math.max.apply(null, pts.map(function (p) { return p[0]; }));
    if (xMax === xMin) xMax = xMin + 1;
    var yVals = pts.map(function (p) { return p[1]; });
    var yMin, yMax, yTicks = [];
    if (opts.logY) {
      yMin = Math.pow(10, Math.floor(Math.log10(Math.min.apply(null, yVals))));
      yMax = Math.pow(10, Math.ceil(Math.log10(Math.max.apply(null, yVals))));
      if (yMax === yMin) yMax = yMin * 10;
      for (var d = yMin; d <= yMax * 1.0001; d *= 10) yTicks.push(d);
    } else {
      yMin = 0;
      yMax = Math.max.apply(null, yVals) * 1.1 || 1;
      for (var i = 0; i <= 5; i++) yTicks.push((yMax * i) / 5);
    }
    var px = function (x) { return L + ((x - xMin) / (xMax - xMin)) * (W - L - R); };
    var py = function (y) {
      var f = opts.logY ? (Math.log10(y) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin)) : (y - yMin) / (yMax - yMin);
      return H - B - f * (H - T - B);
    };
    var grid = node('g', { class: 'grid' }, svg);
    yTicks.forEach(function (y) {
      node('line', { x1: L, x2: W - R, y1: py(y), y2: py(y) }, grid);
      node('text', { x: L - 6, y: py(y) + 4, 'text-anchor': 'end' }, grid, fmt(y));
    });
    var xTicks = opts.xTicks || [0, 1, 2, 3, 4, 5].map(function (i) { var x = xMin + ((xMax - xMin) * i) / 5; return [x, fmt(x)]; });
    xTicks.forEach(function (t) {
      if (t[0] < xMin || t[0] > xMax) return;
      node('line', { x1: px(t[0]), x2: px(t[0]), y1: T, y2: H - B }, grid);
      node('text', { x: px(t[0]), y: H - B + 16, 'text-anchor': 'middle' }, grid, t[1]);
    });
    node('text', { x: (L + W - R) / 2, y: H - 6, 'text-anchor': 'middle', class: 'label' }, svg, opts.xLabel);
    node('text', { x: 14, y: (T + H - B) / 2, 'text-anchor': 'middle', class: 'label', transform: 'rotate(-90 14 ' + (T + H - B) / 2 + ')' }, svg, opts.yLabel);
    var row = 0;
    series.forEach(function (s, k) {
      var color = s.color || COLORS[k % COLORS.length];
      var ps = (opts.logY ? s.points.filter(function (p) { return p[1] > 0; }) : s.points).filter(function (p) { return p[0] >= xMin && p[0] <= xMax; });
      if (ps.length > 0) {
        var d = ps.map(function (p, j) { return (j ? 'L' : 'M') + px(p[0]).toFixed(1) + ' ' + py(p[1]).toFixed(1); }).join(' ');
        var line = { d: d, fill: 'none', stroke: color, 'stroke-width': 2, class: 'series' };
        if (s.dash) line['stroke-dasharray'] = '5 4';
        node('path', line, svg);
        if (opts.dots !== false) ps.forEach(function (p) { node('circle', { cx: px(p[0]), cy: py(p[1]), r: ps.length > 60 ? 1.2 : 2.5, fill: color }, svg); });
      }
      if (s.legend === false) return;
      node('rect', { x: W - R + 12, y: T + 6 + row * 18, width: 12, height: 3, fill: color }, svg);
      node('text', { x: W - R + 30, y: T + 11 + row * 18, class: 'legend' }, svg, s.name);
      row++;
    });
  }
`;
