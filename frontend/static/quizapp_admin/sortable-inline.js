// Reorder admin inline rows (quiz questions) by dragging or with up/down buttons; the hidden
// position inputs are renumbered to match, so nobody retypes order numbers. Without
// JavaScript the position column stays visible and editable.
(function () {
  "use strict";

  function rows(group) {
    return Array.from(group.querySelectorAll("tbody tr.form-row")).filter(
      (row) => !row.classList.contains("empty-form")
    );
  }

  function columnName(cell, prefix) {
    const name = Array.from(cell.classList).find((c) => c.startsWith(prefix));
    return name ? name.slice(prefix.length) : null;
  }

  // Django's tabular inline names each field only in its column header, so give every
  // control an accessible name that says its column and its row ("Points, row 2").
  function label(group, row, index) {
    const headers = {};
    group.querySelectorAll("thead th").forEach((th) => {
      const name = columnName(th, "column-");
      if (name) headers[name] = th.textContent.trim();
    });
    row.querySelectorAll("td").forEach((cell) => {
      const name = columnName(cell, "field-");
      const column = name ? headers[name] : cell.classList.contains("delete") ? "Delete" : null;
      if (!column) return;
      cell.querySelectorAll("input:not([type=hidden]), select, textarea").forEach((control) => {
        if (control.labels && control.labels.length) return;
        control.setAttribute("aria-label", column + ", row " + (index + 1));
      });
    });
  }

  function renumber(group) {
    rows(group).forEach((row, index) => {
      const input = row.querySelector("td.field-position input");
      if (input) input.value = index;
      label(group, row, index);
    });
    document.dispatchEvent(new CustomEvent("quizapp:renamed"));
  }

  function move(row, offset, group) {
    const list = rows(group);
    const target = list[list.indexOf(row) + offset];
    if (!target) return;
    if (offset < 0) target.before(row);
    else target.after(row);
    renumber(group);
    row.querySelector("button.quizapp-move[data-offset='" + offset + "']").focus();
  }

  function enhance(group) {
    group.querySelectorAll("td.field-position, th.column-position").forEach((cell) => {
      cell.classList.add("quizapp-hidden-position");
    });
    // The move buttons go in Django's first, unnamed column: name it for screen readers.
    const corner = group.querySelector("thead th.original");
    if (corner && !corner.textContent.trim()) {
      corner.innerHTML = '<span class="visually-hidden">Order</span>';
    }
    rows(group).forEach((row) => {
      if (row.querySelector("button.quizapp-move")) return;
      const cell = row.querySelector("td.field-position");
      if (!cell) return;
      row.draggable = true;
      const controls = document.createElement("span");
      controls.className = "quizapp-move-controls";
      [[-1, "↑", "Move up"], [1, "↓", "Move down"]].forEach(([offset, glyph, label]) => {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "quizapp-move";
        button.dataset.offset = offset;
        button.textContent = glyph;
        button.setAttribute("aria-label", label);
        button.addEventListener("click", () => move(row, offset, group));
        controls.append(button);
      });
      row.querySelector("td.original, td:first-child").prepend(controls);
      row.addEventListener("dragstart", (event) => {
        group.dataset.dragging = Array.from(row.parentNode.children).indexOf(row);
        event.dataTransfer.effectAllowed = "move";
      });
      row.addEventListener("dragover", (event) => event.preventDefault());
      row.addEventListener("drop", (event) => {
        event.preventDefault();
        const dragged = row.parentNode.children[Number(group.dataset.dragging)];
        if (dragged && dragged !== row) {
          row.before(dragged);
          renumber(group);
        }
      });
    });
    renumber(group);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".quizapp-sortable").forEach((group) => {
      enhance(group);
      document.addEventListener("formset:added", () => enhance(group));
    });
  });
})();
