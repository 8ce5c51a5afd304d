// Live status of a background job (documents): polls the job's JSON until it has finished,
// updating the page's aria-live region, then reloads once to list what it made.
const box = document.getElementById("job-progress");
if (box && box.dataset.finished !== "true") {
  const bar = box.querySelector("progress");
  const status = box.querySelector("[data-field=status]");
  const note = box.querySelector("[data-field=note]");
  const poll = async () => {
    const response = await fetch(box.dataset.progressUrl, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const job = await response.json();
    status.textContent = job.state || job.status;
    note.textContent = job.words ?? (job.note || job.error || "");
    bar.value = job.progress;
    if (job.finished) { window.location.reload(); } else { setTimeout(poll, 1000); }
  };
  setTimeout(poll, 1000);
}
