// Keyboard shortcuts for study sessions: Space shows the answer, 1–4 rate, U undoes.
// Every shortcut presses a visible control, so the page works the same without this file.
// Keys typed into form fields, and keys buttons or links handle themselves, are left alone.

const FIELDS = "input, textarea, select, [contenteditable]";

function studyRegion() {
  return document.querySelector("[data-study]");
}

function isVisible(element) {
  return element !== null && element.getClientRects().length > 0;
}

document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  const study = studyRegion();
  const target = event.target instanceof Element ? event.target : document.body;
  if (study === null || target.closest(FIELDS)) return;

  if (event.key === " ") {
    if (target.closest("button, a, summary")) return; // Space activates these natively.
    const back = study.querySelector("details[data-reveal]:not([open])");
    if (back !== null) {
      event.preventDefault();
      back.open = true;
      back.querySelector("[data-answer]")?.focus();
    }
  } else if (/^[1-4]$/.test(event.key)) {
    const button = study.querySelector(`[data-rating="${event.key}"]`);
    if (isVisible(button) && !button.disabled) {
      event.preventDefault();
      button.click();
    }
  } else if (event.key === "u" || event.key === "U") {
    const undo = document.querySelector("[data-undo]");
    if (isVisible(undo)) {
      event.preventDefault();
      undo.click();
    }
  }
});

// After htmx swaps in the next card, move focus to it (or to its autofocus control) so
// keyboard and screen-reader users continue from the new card, not from a removed button.
document.addEventListener("htmx:afterSettle", () => {
  const study = studyRegion();
  if (study === null || study.contains(document.activeElement)) return;
  const next = study.querySelector("[autofocus]") ?? study.querySelector("[data-focus]");
  next?.focus();
});

// Quiz countdown: the server enforces the deadline; this only shows it ticking and reloads
// the page when time is up, so the learner sees the automatic submission.
for (const clock of document.querySelectorAll("[data-deadline]")) {
  const deadline = Date.parse(clock.dataset.deadline);
  const tick = () => {
    const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    const minutes = Math.floor(left / 60);
    clock.textContent = `${minutes}:${String(left % 60).padStart(2, "0")}`;
    if (left === 0) window.setTimeout(() => window.location.reload(), 1500);
    else window.setTimeout(tick, 1000);
  };
  tick();
}

// Lets browser tests wait until the shortcuts are listening.
document.documentElement.dataset.shortcuts = "ready";
