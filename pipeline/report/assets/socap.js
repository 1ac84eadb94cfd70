// Draws every chart of a socap report from the options in #socap-options
// (ECharts options as pipeline/report writes them), writes the charts'
// numbers in the page's language and wires the PNG and CSV download
// buttons. No network: everything is in the page.
(function () {
  'use strict';
  var options = JSON.parse(document.getElementById('socap-options').textContent);
  var en = document.documentElement.lang === 'en';

  // number writes a chart's number as the page does: decimal comma and a
  // space between thousands in nb, a minus sign.
  var formats = {};
  function number(v, dec) {
    if (typeof v !== 'number' || !isFinite(v)) { return v == null ? '–' : v; }
    var f = formats[dec] || (formats[dec] = new Intl.NumberFormat(en ? 'en-GB' : 'nb-NO', {maximumFractionDigits: dec}));
    return f.format(v).replace('-', '\u2212');
  }

  // localise sets the axes' and tooltips' number format.
  function localise(o) {
    ['xAxis', 'yAxis'].forEach(function (k) {
      [].concat(o[k] || []).forEach(function (a) {
        if (a.type === 'value') {
          a.axisLabel = a.axisLabel || {};
          a.axisLabel.formatter = function (v) { return number(v, 2); };
        }
      });
    });
    if (o.tooltip) {
      [].concat(o.tooltip).forEach(function (t) { t.valueFormatter = function (v) { return number(v, 1); }; });
    }
  }

  // whisker draws a confidence interval over bar i of n in category x,
  // ":" at the baseline when the number is not shown (value 5 is 1), or
  // nothing when there is no interval (value 5 is 2).
  function whisker(params, api) {
    var x = api.value(0), lo = api.value(1), hi = api.value(2);
    var i = api.value(3), n = api.value(4), hidden = api.value(5) === 1;
    if (api.value(5) === 2) { return null; }
    var band = api.size([1, 0])[0], group = band * 0.7, w = group / n;
    var base = api.coord([x, 0]);
    var cx = base[0] - group / 2 + (i + 0.5) * w;
    if (hidden) {
      return {type: 'text', style: {text: ':', x: cx, y: base[1] - 2, align: 'center',
        verticalAlign: 'bottom', fontSize: 18, fontWeight: 'bold', fill: '#222'}};
    }
    var top = api.coord([x, hi])[1], bottom = api.coord([x, lo])[1];
    var cap = Math.max(2, Math.min(w * 0.25, 7));
    var style = {stroke: '#222', lineWidth: 1.5};
    return {type: 'group', children: [
      {type: 'line', shape: {x1: cx, y1: top, x2: cx, y2: bottom}, style: style},
      {type: 'line', shape: {x1: cx - cap, y1: top, x2: cx + cap, y2: top}, style: style},
      {type: 'line', shape: {x1: cx - cap, y1: bottom, x2: cx + cap, y2: bottom}, style: style}
    ]};
  }

  // interval draws a horizontal confidence interval with a point (forest plots).
  function interval(params, api) {
    var y = api.value(0), est = api.value(1), lo = api.value(2), hi = api.value(3);
    var mid = api.coord([est, y]), left = api.coord([lo, y]), right = api.coord([hi, y]);
    var style = {stroke: '#222', lineWidth: 1.5};
    return {type: 'group', children: [
      {type: 'line', shape: {x1: left[0], y1: mid[1], x2: right[0], y2: mid[1]}, style: style},
      {type: 'line', shape: {x1: left[0], y1: mid[1] - 5, x2: left[0], y2: mid[1] + 5}, style: style},
      {type: 'line', shape: {x1: right[0], y1: mid[1] - 5, x2: right[0], y2: mid[1] + 5}, style: style},
      {type: 'rect', shape: {x: mid[0] - 4, y: mid[1] - 4, width: 8, height: 8}, style: {fill: '#1f4e79'}}
    ]};
  }

  var renderers = {whisker: whisker, interval: interval};
  var charts = [];
  Object.keys(options).sort().forEach(function (id) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var o = options[id];
    (o.series || []).forEach(function (s) {
      if (typeof s.renderItem === 'string') { s.renderItem = renderers[s.renderItem]; }
    });
    localise(o);
    var chart = echarts.init(el, null, {renderer: 'canvas'});
    chart.setOption(o);
    charts.push(chart);
  });

  function resize() { charts.forEach(function (c) { c.resize(); }); }
  window.addEventListener('resize', resize);
  window.addEventListener('beforeprint', resize);
  window.addEventListener('afterprint', resize);
  if (window.matchMedia) { window.matchMedia('print').addEventListener('change', resize); }

  document.querySelectorAll('button[data-png]').forEach(function (b) {
    b.addEventListener('click', function () {
      var chart = echarts.getInstanceByDom(document.getElementById(b.getAttribute('data-png')));
      var a = document.createElement('a');
      a.href = chart.getDataURL({type: 'png', pixelRatio: 2, backgroundColor: '#fff'});
      a.download = b.getAttribute('data-file');
      document.body.appendChild(a);
      a.click();
      a.remove();
    });
  });

  // CSV: the table as shown (a cell's data-csv, else its text without
  // footnote marks), ";"-separated in nb (Excel with decimal commas reads
  // it), ","-separated in en, with a byte-order mark for Excel.
  function cellText(c) {
    if (c.hasAttribute('data-csv')) { return c.getAttribute('data-csv'); }
    var copy = c.cloneNode(true);
    copy.querySelectorAll('sup').forEach(function (s) { s.remove(); });
    return copy.textContent;
  }
  function csv(table) {
    var sep = en ? ',' : ';';
    return '\ufeff' + [].map.call(table.querySelectorAll('tr'), function (tr) {
      return [].map.call(tr.children, function (c) {
        return '"' + cellText(c).replace(/"/g, '""') + '"';
      }).join(sep) + '\r\n';
    }).join('');
  }
  document.querySelectorAll('button[data-csv]').forEach(function (b) {
    b.addEventListener('click', function () {
      var table = b.closest('.table-block').querySelector('table');
      var url = URL.createObjectURL(new Blob([csv(table)], {type: 'text/csv;charset=utf-8'}));
      var a = document.createElement('a');
      a.href = url;
      a.download = b.getAttribute('data-csv');
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
    });
  });
})();
