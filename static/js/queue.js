// Queue table keyboard: j / k move between rows (the row gets focus and a visible outline),
// Enter opens the focused row's request. Keys typed into a field are left alone.
(function () {
  "use strict";
  var table = document.querySelector("[data-keyboard-rows]");
  if (!table) { return; }
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-href]"));
  if (!rows.length) { return; }

  function current() {
    var active = document.activeElement;
    for (var i = 0; i < rows.length; i++) {
      if (rows[i] === active || rows[i].contains(active)) { return i; }
    }
    return -1;
  }

  function focusRow(index) {
    var row = rows[Math.max(0, Math.min(rows.length - 1, index))];
    row.focus();
    row.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    var tag = target && target.tagName;
    var typing = tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
    if (typing) { return; }
    var at = current();
    if (event.key === "j") {
      event.preventDefault();
      focusRow(at + 1);
    } else if (event.key === "k") {
      event.preventDefault();
      focusRow(at < 0 ? 0 : at - 1);
    } else if (event.key === "Enter" && at >= 0 && target === rows[at]) {
      event.preventDefault();
      window.location.assign(rows[at].getAttribute("data-href"));
    }
  });
})();
