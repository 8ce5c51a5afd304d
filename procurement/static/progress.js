// Live status of an uploaded file being checked (a catalogue import, a requirements upload):
// polls its progress URL (the job row until the upload has its outcome) and updates the page's
// aria-live region until it has finished, then reloads once to show the result.
const box = document.getElementById("import-progress");
if (box && box.dataset.finished !== "true") {
  const bar = box.querySelector("progress");
  const status = box.querySelector("[data-field=status]");
  const note = box.querySelector("[data-field=note]");
  const message = box.querySelector("[data-field=message]");
  const poll = async () => {
    const response = await fetch(box.dataset.progressUrl, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const p = await response.json();
    status.textContent = p.label || p.status.charAt(0).toUpperCase() + p.status.slice(1);
    note.textContent = p.note ? ": " + p.note : "";
    if (message) { message.textContent = p.message; }
    bar.value = p.progress;
    bar.textContent = p.progress + "%";
    if (p.finished) { window.location.reload(); } else { setTimeout(poll, 1000); }
  };
  setTimeout(poll, 1000);
}
