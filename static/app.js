// Progressive enhancement only: every page works without this file.
"use strict";

// The language selector submits itself.
document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
  const form = select.form;
  form.querySelectorAll("[data-autosubmit-button]").forEach((b) => { b.hidden = true; });
  select.addEventListener("change", () => form.submit());
});

// Type-ahead for long pickers: a search box above the list narrows its options as you type,
// ignoring case and accents, in any script.
const fold = (s) => s.normalize("NFKD").replace(/\p{M}/gu, "").toLocaleLowerCase();
document.querySelectorAll("select[data-filter]").forEach((select) => {
  const input = document.createElement("input");
  input.type = "search";
  input.className = "filter-input";
  input.setAttribute("aria-controls", select.id);
  const label = select.labels && select.labels[0];
  if (label) input.setAttribute("aria-label", label.textContent.trim());
  select.before(input);
  const options = Array.from(select.options);
  input.addEventListener("input", () => {
    const wanted = fold(input.value.trim());
    let first = null;
    for (const option of options) {
      const match = !wanted || option.value === "" || fold(option.text).includes(wanted) || option.value.includes(wanted);
      option.hidden = !match;
      if (match && option.value !== "" && !first) first = option;
    }
    if (wanted && first && !select.multiple) select.value = first.value;
  });
});

// The map refreshes itself while the page is open: the server renders the new figures, the
// script swaps them in. Without JavaScript, every load is current.
const view = document.getElementById("map-view");
if (view) {
  const seconds = Number(view.dataset.refresh) || 30;
  setInterval(async () => {
    if (document.hidden) return;
    try {
      const response = await fetch(location.href, { headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("map-view");
      if (fresh) view.replaceChildren(...fresh.childNodes);
    } catch (_) {
      // Offline for a moment: the next tick tries again.
    }
  }, seconds * 1000);
}
