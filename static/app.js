// Progressive enhancement only: every page works without this file.
"use strict";

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

// The language chooser: the header's button opens a list of every language, grouped by region,
// with a search box that finds a language by its name or code. Without JavaScript the button
// leads to the page that lists them.
const languageButton = document.querySelector("[data-language-menu]");
const languageTemplate = document.getElementById("language-menu");
if (languageButton && languageTemplate) {
  let menu = null;
  const close = () => {
    menu?.remove();
    menu = null;
    languageButton.setAttribute("aria-expanded", "false");
  };
  const filter = (search) => {
    const wanted = fold(search.value.trim());
    let shown = 0;
    menu.querySelectorAll(".language-group").forEach((group) => {
      let inGroup = 0;
      group.querySelectorAll("li").forEach((item) => {
        const link = item.firstElementChild;
        const match = !wanted || fold(link.textContent).includes(wanted) || link.lang.toLowerCase().startsWith(wanted);
        item.hidden = !match;
        if (match) inGroup++;
      });
      group.hidden = inGroup === 0;
      shown += inGroup;
    });
    menu.querySelector(".language-none").hidden = shown > 0;
  };
  languageButton.setAttribute("aria-expanded", "false");
  languageButton.addEventListener("click", (event) => {
    event.preventDefault();
    if (menu) return close();
    menu = languageTemplate.content.firstElementChild.cloneNode(true);
    languageButton.after(menu);
    languageButton.setAttribute("aria-expanded", "true");
    const search = menu.querySelector(".language-search");
    search.addEventListener("input", () => filter(search));
    search.focus();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && menu) {
      close();
      languageButton.focus();
    }
  });
  document.addEventListener("click", (event) => {
    if (menu && !menu.contains(event.target) && !languageButton.contains(event.target)) close();
  });
}

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
