// Several scans at once: one request per file, each with its own progress bar, the
// reader's refusal reason shown beside the file, then the run followed until it ends.
// Without this script the form posts all files together and the page lists the results.
(function () {
  "use strict";
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function follow(row, url, link, msg, status) {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then((run) => {
        status.textContent = (msg["status" + run.status[0].toUpperCase() + run.status.slice(1)] || run.status) +
          (run.status === "running" ? " " + Math.round(run.progress * 100) + "\u202f%" : "");
        status.className = "status status-" + run.status;
        row.dataset.runStatus = run.status;
        if (run.status === "queued" || run.status === "running") setTimeout(() => follow(row, url, link, msg, status), 1000);
      })
      .catch(() => setTimeout(() => follow(row, url, link, msg, status), 3000));
  }
  function send(form, file, list, msg) {
    const row = el("li");
    row.dataset.file = file.name;
    const name = el("span", "file", file.name);
    const bar = el("progress");
    bar.max = 1; bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    const state = el("span", "state", msg.waiting);
    row.append(name, bar, state);
    list.append(row);
    if (file.size > Number(form.dataset.maxBytes)) {
      state.textContent = msg.refused + ": " + msg.tooBig;
      state.className = "refused";
      row.dataset.result = "refused";
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const data = new FormData();
      data.append("files", file, file.name);
      ["csrf_token", "region", "instrument"].forEach((n) => { if (form.elements[n]) data.append(n, form.elements[n].value); });
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = (ev) => { if (ev.lengthComputable) bar.value = ev.loaded / ev.total; state.textContent = msg.uploading; };
      xhr.upload.onload = () => { bar.value = 1; state.textContent = msg.reading; };
      xhr.onerror = () => { state.textContent = msg.refused + ": " + msg.network; state.className = "refused"; row.dataset.result = "refused"; resolve(); };
      xhr.onload = () => {
        let res = null;
        try { res = JSON.parse(xhr.responseText).results[0]; } catch (e) { res = { ok: false, status: xhr.status, reason: xhr.statusText }; }
        state.textContent = "";
        if (res.ok) {
          row.dataset.result = "accepted";
          state.append(el("span", "accepted", msg.accepted + " · "));
          const link = el("a", null, msg.run + " " + res.run_id);
          link.href = res.run_url;
          const status = el("span", "status", "");
          state.append(link, " ", status);
          follow(row, res.run_status_url, link, msg, status);
        } else {
          row.dataset.result = "refused";
          state.className = "refused";
          state.append(msg.refused + " (" + res.status + "): ");
          // The reason in the reader's language when the service has it so (reason_lang),
          // then the scan reader's own technical words, which are English.
          const why = el("span", "reason", String(res.reason));
          why.lang = res.reason_lang || "en";
          state.append(why);
          if (res.technical) {
            const tech = el("span", "reason", " " + String(res.technical));
            tech.lang = "en";
            state.append(tech);
          }
        }
        resolve();
      };
      xhr.send(data);
    });
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll('form[data-upload="1"]').forEach((form) => {
      const list = form.parentElement.querySelector('[data-testid="upload-list"]');
      const d = form.dataset;
      const msg = { waiting: d.msgWaiting, uploading: d.msgUploading, reading: d.msgReading, accepted: d.msgAccepted,
        refused: d.msgRefused, run: d.msgRun, tooBig: d.msgTooBig, network: d.msgNetwork,
        statusQueued: d.statusQueued, statusRunning: d.statusRunning, statusDone: d.statusDone, statusFailed: d.statusFailed };
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const files = Array.from(form.elements.files.files);
        if (!files.length) return;
        list.textContent = "";
        // One after another: the service reads each scan in full before it answers.
        for (const f of files) await send(form, f, list, msg);
        form.elements.files.value = "";
      });
    });
  });
})();
