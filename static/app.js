// Progressive enhancement only: every page works without this file.
"use strict";
document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
  const form = select.form;
  form.querySelectorAll("[data-autosubmit-button]").forEach((b) => { b.hidden = true; });
  select.addEventListener("change", () => form.submit());
});
