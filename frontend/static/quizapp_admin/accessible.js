// Accessible names for the controls Django's admin builds in the browser: the select2 box of
// an autocomplete field (a combobox named by nothing until something is picked) takes the
// name of the select it stands for, and the search icons of a two-list picker become images.
(function () {
  "use strict";

  function nameOf(select) {
    const label = select.labels && select.labels[0];
    return select.getAttribute("aria-label") || (label ? label.textContent.trim() : "");
  }

  function nameAutocompletes(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach((select) => {
      const box = select.nextElementSibling;
      if (!box || !box.classList.contains("select2")) return;
      const name = nameOf(select);
      if (!name) return;
      box.querySelectorAll(".select2-selection, .select2-selection__rendered").forEach((el) => {
        el.removeAttribute("aria-labelledby");
        el.setAttribute("aria-label", name);
      });
    });
  }

  function nameIcons(root) {
    root.querySelectorAll(".help-tooltip[aria-label]:not([role])").forEach((icon) => {
      icon.setAttribute("role", "img");
    });
  }

  function nameAll() {
    nameAutocompletes(document);
    nameIcons(document);
  }

  // After Django's own scripts, which build these on DOMContentLoaded, load or jQuery ready.
  window.addEventListener("load", () => setTimeout(nameAll));
  document.addEventListener("formset:added", () => setTimeout(nameAll));
  // A sortable inline renames its rows' controls when they move.
  document.addEventListener("quizapp:renamed", nameAll);
})();
