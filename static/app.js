// Progressive enhancement only: every page works without this file.
"use strict";

// Type-ahead for long pickers, ignoring case and accents, in any script. A single choice
// becomes a text box with suggestions that takes the list's label and place (the hidden list
// still carries the value the form sends); a multiple choice keeps its list, under a box that
// narrows it as you type.
const fold = (s) => s.normalize("NFKD").replace(/\p{M}/gu, "").toLocaleLowerCase();
const filterHint = document.body.dataset.filterHint || "";
document.querySelectorAll("select[data-filter]").forEach((select) => {
  const options = Array.from(select.options).filter((o) => o.value !== "");
  const input = document.createElement("input");
  input.type = "search";
  input.className = "filter-input";
  input.autocomplete = "off";
  input.placeholder = filterHint;
  input.dir = "auto";
  const label = select.labels && select.labels[0];
  if (!select.multiple) {
    const list = document.createElement("datalist");
    list.id = `${select.id}-choices`;
    options.forEach((o) => list.append(new Option(o.text.trim())));
    input.id = `${select.id}-typed`;
    input.setAttribute("list", list.id);
    for (const name of ["aria-describedby", "aria-invalid"]) {
      if (select.hasAttribute(name)) input.setAttribute(name, select.getAttribute(name));
    }
    if (label) label.htmlFor = input.id;
    input.value = select.value ? select.selectedOptions[0].text.trim() : "";
    select.hidden = true;
    select.before(input, list);
    const exact = () => options.find((o) => fold(o.text.trim()) === fold(input.value.trim()));
    // While typing only an exact name is taken; on leaving the box, the first option that
    // contains what was typed is, and the box shows its full name.
    input.addEventListener("input", () => {
      const found = exact();
      if (found || !input.value.trim()) select.value = found ? found.value : "";
    });
    input.addEventListener("change", () => {
      const wanted = fold(input.value.trim());
      if (!wanted) return;
      const found = exact() || options.find((o) => fold(o.text).includes(wanted) || o.value === input.value.trim());
      if (found) {
        select.value = found.value;
        input.value = found.text.trim();
      }
    });
    return;
  }
  input.setAttribute("aria-controls", select.id);
  if (label) input.setAttribute("aria-label", label.textContent.trim());
  select.before(input);
  input.addEventListener("input", () => {
    const wanted = fold(input.value.trim());
    for (const option of options) {
      option.hidden = wanted !== "" && !fold(option.text).includes(wanted) && !option.value.includes(wanted);
    }
  });
});

// Offering a capacity means knowing it: ticking "I can offer it" ticks "I know it" and says so.
document.querySelectorAll("input[data-implies-known]").forEach((offered) => {
  const checks = offered.closest("p");
  const hint = checks.nextElementSibling;
  offered.addEventListener("change", () => {
    if (offered.checked) checks.querySelector("input[value=known]").checked = true;
    if (hint && hint.hasAttribute("data-implied-known")) hint.hidden = !offered.checked;
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
