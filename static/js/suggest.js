/* While a customer types a summary, suggest help articles that may already answer it. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-suggest-url]");
  if (!form) return;
  var input = form.querySelector("input[name=summary]");
  if (!input) return;
  var box = document.createElement("div");
  box.className = "suggestions card";
  box.setAttribute("aria-live", "polite");
  box.hidden = true;
  input.closest(".field").appendChild(box);
  var timer = null;
  var last = "";

  function show(articles) {
    box.textContent = "";
    if (!articles.length) { box.hidden = true; return; }
    var heading = document.createElement("p");
    heading.textContent = form.dataset.suggestHeading;
    heading.className = "muted";
    box.appendChild(heading);
    var list = document.createElement("ul");
    list.className = "results";
    articles.forEach(function (article) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = article.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = article.title;
      item.appendChild(link);
      if (article.summary) {
        var summary = document.createElement("p");
        summary.className = "muted";
        summary.textContent = article.summary;
        item.appendChild(summary);
      }
      list.appendChild(item);
    });
    box.appendChild(list);
    box.hidden = false;
  }

  function lookUp() {
    var text = input.value.trim();
    if (text === last) return;
    last = text;
    if (text.length < 3) { show([]); return; }
    var url = form.dataset.suggestUrl + "?q=" + encodeURIComponent(text) + "&desk=" + encodeURIComponent(form.dataset.desk || "") +
      "&visit=" + encodeURIComponent(form.dataset.visit || "");
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { articles: [] }; })
      .then(function (body) { if (input.value.trim() === text) show(body.articles || []); })
      .catch(function () { show([]); });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookUp, 300);
  });
})();
