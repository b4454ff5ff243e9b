/* Drag and drop, paste and browse for file fields, with upload progress and image previews.
   Files are uploaded ahead of the form and sent with it as checked boxes; without JavaScript
   the plain file input still works. */
(function () {
  "use strict";
  var zones = Array.prototype.slice.call(document.querySelectorAll(".dropzone"));
  if (!zones.length) return;

  function csrfToken(zone) {
    var form = zone.closest("form");
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function humanSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function upload(zone, file) {
    var list = zone.querySelector(".staged");
    var item = document.createElement("li");
    var label = document.createElement("span");
    label.textContent = (file.name || "screenshot.png") + " ";
    var progress = document.createElement("progress");
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute("aria-label", label.textContent.trim());
    item.appendChild(label);
    item.appendChild(progress);
    list.appendChild(item);

    var data = new FormData();
    data.append("file", file, file.name || "screenshot.png");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", zone.dataset.uploadUrl);
    xhr.setRequestHeader("X-CSRFToken", csrfToken(zone));
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) progress.value = Math.round((event.loaded / event.total) * 100);
    });
    xhr.addEventListener("load", function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
      item.textContent = "";
      if (xhr.status === 201) {
        var box = document.createElement("input");
        box.type = "checkbox";
        box.name = zone.dataset.name;
        box.value = body.id;
        box.checked = true;
        var wrap = document.createElement("label");
        wrap.appendChild(box);
        wrap.appendChild(document.createTextNode(" " + body.name + " (" + humanSize(body.size) + ")"));
        item.appendChild(wrap);
        if (body.content_type && body.content_type.indexOf("image/") === 0) {
          var img = document.createElement("img");
          img.className = "thumb";
          img.src = body.url;
          img.alt = (zone.dataset.msgPreview || "Preview of %s").replace("%s", body.name);
          item.appendChild(img);
        }
      } else {
        item.className = "upload-error";
        item.setAttribute("role", "alert");
        item.textContent = body.error || zone.dataset.msgFailed;
      }
    });
    xhr.addEventListener("error", function () {
      item.className = "upload-error";
      item.setAttribute("role", "alert");
      item.textContent = zone.dataset.msgOffline;
    });
    xhr.send(data);
  }

  function uploadAll(zone, files) {
    for (var i = 0; i < files.length; i++) upload(zone, files[i]);
  }

  zones.forEach(function (zone) {
    var input = zone.querySelector("input[type=file]");
    zone.classList.add("enhanced");
    if (input) {
      input.addEventListener("change", function () {
        uploadAll(zone, input.files);
        input.value = "";
      });
    }
    zone.addEventListener("dragover", function (event) {
      event.preventDefault();
      zone.classList.add("dragging");
    });
    zone.addEventListener("dragleave", function () { zone.classList.remove("dragging"); });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("dragging");
      if (event.dataTransfer && event.dataTransfer.files.length) uploadAll(zone, event.dataTransfer.files);
    });
  });

  // A pasted screenshot goes to the file field of the form being edited (or the first one).
  document.addEventListener("paste", function (event) {
    var files = event.clipboardData && event.clipboardData.files;
    if (!files || !files.length) return;
    var active = document.activeElement;
    var form = active && active.closest ? active.closest("form") : null;
    var zone = (form && form.querySelector(".dropzone")) || zones[0];
    event.preventDefault();
    uploadAll(zone, files);
  });
})();
