/* The Security Center's charts, drawn with the Chart.js shipped in fraud/vendor/ from the JSON
   the page links to (data-ciam-sc-data). Series are told apart without colour: lines by dash
   pattern, bars by fill pattern (solid, stripes, dots, cross-hatch...), each named in the
   legend; the numbers are also in the tables under each chart. */
(function () {
  "use strict";

  var root = document.querySelector("[data-ciam-sc-data]");
  if (!root) {
    return;
  }
  var COLOURS = ["#2f6fb0", "#c0392b", "#2e8b57", "#8e44ad", "#d35400", "#5d6d7e"];
  var DASHES = [[], [8, 4], [2, 3], [12, 4, 2, 4], [4, 4], [1, 5]];

  function pattern(colour, index) {
    if (index === 0) {
      return colour;
    }
    var size = 8;
    var tile = document.createElement("canvas");
    tile.width = size;
    tile.height = size;
    var ctx = tile.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, size, size);
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    switch (index % 6) {
      case 1: // diagonal stripes
        ctx.moveTo(0, size);
        ctx.lineTo(size, 0);
        ctx.moveTo(-2, 2);
        ctx.lineTo(2, -2);
        ctx.moveTo(size - 2, size + 2);
        ctx.lineTo(size + 2, size - 2);
        ctx.stroke();
        break;
      case 2: // dots
        ctx.arc(size / 2, size / 2, 2, 0, 2 * Math.PI);
        ctx.fill();
        break;
      case 3: // cross-hatch
        ctx.moveTo(0, 0);
        ctx.lineTo(size, size);
        ctx.moveTo(size, 0);
        ctx.lineTo(0, size);
        ctx.stroke();
        break;
      case 4: // horizontal lines
        ctx.moveTo(0, size / 2);
        ctx.lineTo(size, size / 2);
        ctx.stroke();
        break;
      default: // vertical lines
        ctx.moveTo(size / 2, 0);
        ctx.lineTo(size / 2, size);
        ctx.stroke();
    }
    return ctx.createPattern(tile, "repeat");
  }

  function dataset(chart, series, index) {
    var colour = COLOURS[index % COLOURS.length];
    if (chart.type === "bar") {
      return {
        label: series.label,
        data: series.data,
        backgroundColor: pattern(colour, index),
        borderColor: colour,
        borderWidth: 1
      };
    }
    return {
      label: series.label,
      data: series.data,
      borderColor: colour,
      backgroundColor: "transparent",
      borderDash: DASHES[index % DASHES.length],
      borderWidth: 2,
      pointRadius: chart.labels.length > 48 ? 0 : 2,
      tension: 0
    };
  }

  function draw(data) {
    var drawn = 0;
    data.charts.forEach(function (chart) {
      var canvas = root.querySelector('canvas[data-chart="' + chart.id + '"]');
      if (!canvas) {
        return;
      }
      var stacked = chart.id === "verdicts";
      var instance = new window.Chart(canvas, {
        type: chart.type,
        data: {
          labels: chart.labels,
          datasets: chart.series.map(function (s, i) { return dataset(chart, s, i); })
        },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          interaction: { mode: "index", intersect: false },
          plugins: { legend: { position: "bottom", labels: { boxWidth: 28 } } },
          scales: {
            x: { stacked: stacked, ticks: { maxTicksLimit: 12, autoSkip: true } },
            y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } }
          }
        }
      });
      var points = instance.data.datasets.reduce(function (sum, d) {
        return sum + d.data.reduce(function (a, b) { return a + b; }, 0);
      }, 0);
      canvas.setAttribute("data-drawn", String(points));
      drawn += 1;
    });
    root.setAttribute("data-charts-drawn", String(drawn));
  }

  function fail() {
    var note = root.querySelector(".ciam-sc-chart-error");
    if (note) {
      note.hidden = false;
    }
    root.setAttribute("data-charts-drawn", "error");
  }

  if (typeof window.Chart !== "function") {
    fail();
    return;
  }
  fetch(root.getAttribute("data-ciam-sc-data"), {
    credentials: "same-origin",
    headers: { Accept: "application/json" }
  })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    })
    .then(draw)
    .catch(fail);
})();
