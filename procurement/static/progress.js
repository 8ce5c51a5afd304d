// Live status of a background job: polls its progress URL and updates the page (and its
// aria-live region) until the job has finished, then reloads once to show the result.
const box = document.getElementById("import-progress");
if (box && box.dataset.finished !== "true") {
  const bar = box.querySelector("progress");
  const status = box.querySelector("[data-field=status]");
  const rows = box.querySelector("[data-field=rows]");
  const poll = async () => {
    const response = await fetch(box.dataset.progressUrl, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const p = await response.json();
    status.textContent = p.status.charAt(0).toUpperCase() + p.status.slice(1);
    rows.textContent = p.rows_done.toLocaleString("en-GB") + (p.rows_total == null ? "" : " of " + p.rows_total.toLocaleString("en-GB"));
    if (p.rows_total) { bar.max = p.rows_total; }
    bar.value = p.rows_done;
    if (p.finished) { window.location.reload(); } else { setTimeout(poll, 1000); }
  };
  setTimeout(poll, 1000);
}
