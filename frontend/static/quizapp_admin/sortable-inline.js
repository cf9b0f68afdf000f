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

  function renumber(group) {
    rows(group).forEach((row, index) => {
      const input = row.querySelector("td.field-position input");
      if (input) input.value = index;
    });
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
