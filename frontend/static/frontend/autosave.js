// Quiz answers are saved as they are given. htmx posts a question's form on every change, one
// request at a time per form (hx-sync "queue last": a change made while a save is on its way
// is sent, with everything the form then holds, once that save is answered), and the reply
// replaces only the form's status line, never the controls the learner is using.
//
// This module keeps that line honest: "Saving…" until every change has been answered, and a
// message when a save did not reach the server. It also asks before the page is left with a
// change not saved yet. Without it the answers are saved all the same.

const FORMS = "form[data-autosave]";
const SAVING = "Saving…";
const UNREACHABLE = "Not saved: the server could not be reached. Change the answer again, or press Save answer.";

const edits = new WeakMap(); // form → {made, sent, answered, failed}

function editsOf(form) {
  if (!edits.has(form)) edits.set(form, { made: 0, sent: 0, answered: 0, failed: false });
  return edits.get(form);
}

function autosaveForm(element) {
  return element instanceof Element ? element.closest(FORMS) : null;
}

function say(form, text, failed = false) {
  const status = document.getElementById(form.dataset.autosave);
  if (status === null) return;
  status.textContent = text;
  status.classList.toggle("failed", failed);
}

// Counted in the capture phase: before htmx, listening on the form, sends the change.
document.addEventListener(
  "change",
  (event) => {
    const form = autosaveForm(event.target);
    if (form === null) return;
    editsOf(form).made += 1;
    say(form, SAVING);
  },
  true,
);

// A request takes the form's values when it is sent, so it carries every change made so far.
document.addEventListener("htmx:configRequest", (event) => {
  const form = autosaveForm(event.detail.elt);
  if (form !== null) editsOf(form).sent = editsOf(form).made;
});

// After the reply has replaced the status line.
document.addEventListener("htmx:afterRequest", (event) => {
  const form = autosaveForm(event.detail.elt);
  if (form === null) return;
  const state = editsOf(form);
  state.answered = state.sent;
  const status = event.detail.xhr.status;
  state.failed = status === 0 || status >= 500;
  if (state.failed) say(form, UNREACHABLE, true);
  else if (state.answered < state.made) say(form, SAVING);
});

function timeIsUp() {
  const clock = document.querySelector("[data-deadline]");
  return clock !== null && Date.now() >= Date.parse(clock.dataset.deadline);
}

// Not when the time is up: the page then reloads to show the submission, and staying would
// save nothing more.
window.addEventListener("beforeunload", (event) => {
  if (timeIsUp()) return;
  for (const form of document.querySelectorAll(FORMS)) {
    const state = editsOf(form);
    if (state.answered < state.made || state.failed) {
      event.preventDefault();
      return;
    }
  }
});

// htmx wires the forms when the document is ready; from then on a change is saved. (Browser
// tests wait for this mark before picking.)
document.addEventListener("htmx:load", (event) => {
  if (event.target === document.body) document.documentElement.dataset.autosave = "ready";
});
