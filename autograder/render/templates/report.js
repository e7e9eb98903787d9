(function () {
  "use strict";
  // Click (or Enter on) a column header of a table.sortable: sort its rows by that column, again to reverse.
  // Cells sort by data-v when it holds a number, else by their text; empty values go last.
  function key(cell) {
    var v = cell.getAttribute("data-v");
    if (v === null) { v = cell.textContent.trim(); }
    if (v === "") { return null; }
    var n = Number(v);
    return isNaN(n) ? v : n;
  }
  function compare(x, y) {
    if (x === null || y === null) { return x === y ? 0 : (x === null ? 1 : -1); }
    if (typeof x === "number" && typeof y === "number") { return x - y; }
    return String(x).localeCompare(String(y), undefined, {numeric: true});
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      function sort() {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[col]), y = key(b.cells[col]);
          if (x === null || y === null) { return compare(x, y); }
          return asc ? compare(x, y) : compare(y, x);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.tabIndex = 0;
      th.classList.add("sort-key");
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
      });
    });
  });
  document.documentElement.classList.add("js");
}());
