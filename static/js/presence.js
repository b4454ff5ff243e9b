/* Tell the server this agent has the request open (and whether they are typing a reply); show
   who else is here, and warn when the request changed since the page was loaded. */
(function () {
  "use strict";
  var box = document.getElementById("presence");
  if (!box) return;
  var form = document.querySelector("form[action$='/reply/']");
  var token = document.querySelector("input[name=csrfmiddlewaretoken]");
  var state = "viewing";
  var loadedVersion = box.dataset.version;

  function render(body) {
    box.textContent = "";
    (body.others || []).forEach(function (other) {
      var line = document.createElement("p");
      var template = other.state === "replying" ? box.dataset.msgReplying : box.dataset.msgViewing;
      line.textContent = template.replace("%s", other.name);
      box.appendChild(line);
    });
    if (String(body.version) !== String(loadedVersion)) {
      var warning = document.createElement("p");
      warning.className = "alert alert-info";
      warning.textContent = box.dataset.msgChanged;
      box.appendChild(warning);
    }
  }

  function beat() {
    var data = new FormData();
    data.append("state", state);
    fetch(box.dataset.url, {
      method: "POST",
      body: data,
      headers: { "X-CSRFToken": token ? token.value : "" },
      credentials: "same-origin"
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) { if (body) render(body); })
      .catch(function () { /* presence is best effort */ });
  }

  if (form) {
    form.addEventListener("input", function () {
      if (state !== "replying") { state = "replying"; beat(); }
    });
  }
  beat();
  setInterval(beat, 10000);
})();
