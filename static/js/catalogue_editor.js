/* The catalogue editor: reorder lists by drag and drop or with their Move up / Move down buttons
   (saved at once), refresh the form preview as the admin types, add choice rows. Without this
   script every button still works by submitting its form. */
(function () {
  "use strict";

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // --- Preview -------------------------------------------------------------------------------
  var previewForm = document.querySelector("form[data-preview-url]");
  var previewOutput = document.querySelector(".preview-output");
  var previewTimer = null;
  var previewRound = 0;

  function refreshPreview() {
    if (!previewForm || !previewOutput) return;
    var round = ++previewRound;
    var body = new FormData(previewForm);
    body.delete("action");
    previewOutput.setAttribute("aria-busy", "true");
    fetch(previewForm.dataset.previewUrl, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("preview " + response.status);
        return response.text();
      })
      .then(function (html) {
        if (round === previewRound) previewOutput.innerHTML = html;
      })
      .catch(function () { /* the Preview button still works */ })
      .finally(function () {
        if (round === previewRound) previewOutput.removeAttribute("aria-busy");
      });
  }

  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(refreshPreview, 400);
  }

  if (previewForm) {
    previewForm.addEventListener("input", schedulePreview);
    document.addEventListener("change", function (event) {
      if (event.target.form === previewForm) schedulePreview();
    });
    document.addEventListener("click", function (event) {
      var button = event.target.closest("button[name=action][value=preview]");
      if (button && button.form === previewForm) {
        event.preventDefault();
        refreshPreview();
      }
    });
  }

  // --- Order lists ---------------------------------------------------------------------------
  function announce(list, item) {
    var status = list.nextElementSibling;
    if (!status || !status.classList.contains("order-status")) return;
    var items = Array.prototype.slice.call(list.children);
    status.textContent = list.dataset.msgMoved
      .replace("%(label)s", item.dataset.label)
      .replace("%(position)s", String(items.indexOf(item) + 1))
      .replace("%(count)s", String(items.length));
  }

  function saveOrder(list, item) {
    var body = new URLSearchParams();
    body.append("csrfmiddlewaretoken", csrfToken());
    Array.prototype.forEach.call(list.children, function (li) { body.append("order", li.dataset.id); });
    return fetch(list.dataset.orderUrl, {
      method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error("order " + response.status);
      if (item) announce(list, item);
      refreshPreview();
    }).catch(function () {
      var status = list.nextElementSibling;
      if (status) status.textContent = list.dataset.msgFailed;
    });
  }

  function flash(item) {
    item.classList.add("moved");
    setTimeout(function () { item.classList.remove("moved"); }, 800);
  }

  document.querySelectorAll(".order-list").forEach(function (list) {
    list.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || !button.dataset.direction) return;
      event.preventDefault();
      var item = button.closest(".order-item");
      var sibling = button.dataset.direction === "up" ? item.previousElementSibling : item.nextElementSibling;
      if (!sibling) { announce(list, item); return; }
      if (button.dataset.direction === "up") list.insertBefore(item, sibling);
      else list.insertBefore(sibling, item);
      button.focus();  // keep the keyboard where it was, on the row that moved
      flash(item);
      saveOrder(list, item);
    });

    var dragged = null;
    list.addEventListener("dragstart", function (event) {
      dragged = event.target.closest(".order-item");
      if (!dragged) return;
      dragged.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.dataset.id);
    });
    list.addEventListener("dragover", function (event) {
      if (!dragged) return;
      event.preventDefault();
      var over = event.target.closest(".order-item");
      if (!over || over === dragged) return;
      var box = over.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? over.nextElementSibling : over);
    });
    list.addEventListener("drop", function (event) { event.preventDefault(); });
    list.addEventListener("dragend", function () {
      if (!dragged) return;
      var item = dragged;
      dragged = null;
      item.classList.remove("dragging");
      flash(item);
      saveOrder(list, item);
    });
  });

  // --- Choices -------------------------------------------------------------------------------
  var addChoice = document.querySelector(".add-choice");
  var template = document.getElementById("choice-template");
  var choiceList = document.querySelector(".choice-list");
  if (addChoice && template && choiceList) {
    addChoice.hidden = false;
    addChoice.addEventListener("click", function () {
      var total = document.querySelector("input[name=" + choiceList.dataset.prefix + "-TOTAL_FORMS]");
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      choiceList.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var first = choiceList.lastElementChild.querySelector("input");
      if (first) first.focus();
    });
  }
})();
