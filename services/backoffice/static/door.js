// The door's scanner: the phone's camera reads the ticket's QR code with jsQR (vendored,
// jsQR.js beside this file), fills in the code and sends the form. Typing the code still works.
(function () {
  "use strict";
  var button = document.getElementById("scan");
  var form = document.getElementById("check-in");
  if (!button || !form || !navigator.mediaDevices || !window.jsQR) {
    return;
  }
  var video = document.getElementById("camera");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });

  function look(stream) {
    if (video.readyState === video.HAVE_ENOUGH_DATA) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      if (found && found.data) {
        stream.getTracks().forEach(function (track) { track.stop(); });
        form.elements.code.value = found.data;
        // requestSubmit: the door's offline part (door_offline.js) sees the ticket first.
        if (form.requestSubmit) {
          form.requestSubmit();
        } else {
          form.submit();
        }
        return;
      }
    }
    window.setTimeout(function () { look(stream); }, 150);
  }

  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (stream) {
        video.hidden = false;
        video.srcObject = stream;
        video.play();
        button.textContent = "Kamera čte…";
        button.disabled = true;
        look(stream);
      })
      .catch(function () {
        button.textContent = "Kamera není dostupná: opište kód";
        button.disabled = true;
      });
  });
}());
