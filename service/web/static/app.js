// The little the pages need beyond HTML: confirmations, printing, a car's needs in the form, the
// night page's map (a space's stays without reloading the page) and the pin chooser's finder.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
document.addEventListener("change", (event) => {
  if (event.target.id !== "car") return;
  const needs = (event.target.selectedOptions[0].dataset.needs || "").split(" ");
  for (const box of document.querySelectorAll("input[name=needs]")) box.checked = needs.includes(box.value);
  document.getElementById("needs-for").value = event.target.value;
});

// What is typed and what is listed, compared as plates are: fullwidth folded, any case, without
// the dot of 沪A·12345 or spaces.
const squash = (text) => text.normalize("NFKC").toUpperCase().replace(/[\s·・•.]/g, "");

// A finder filters its list (data-filter-for: the select's id) by what is typed. Hidden in the
// HTML, so that without this script the list is whole.
const showFinders = (root) => {
  for (const finder of root.querySelectorAll("[data-filter-for]")) finder.hidden = false;
};
showFinders(document);
document.addEventListener("input", (event) => {
  const finder = event.target.closest("[data-filter-for]");
  if (!finder) return;
  const list = document.getElementById(finder.dataset.filterFor);
  const wanted = squash(event.target.value);
  const found = [...list.options].filter((option) => {
    const fits = squash(option.textContent).includes(wanted);
    option.hidden = option.disabled = !fits;
    return fits;
  });
  if (found.length && list.selectedOptions[0]?.disabled) list.value = found[0].value;
  finder.querySelector("[aria-live]").textContent = wanted ? finder.dataset.found.replace("#", found.length) : "";
});

// A space clicked on the night page's map: its stays (the same page for that space, fetched)
// replace the panel beside the map, and the map shows it chosen; the address follows. Any
// failure falls back to the link itself.
document.addEventListener("click", async (event) => {
  const link = event.target.closest("svg.compound a[data-space]");
  const panel = document.getElementById("space-panel");
  if (!link || !panel || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  const address = link.getAttribute("href");
  try {
    const reply = await fetch(address, { credentials: "same-origin" });
    if (!reply.ok) throw new Error(reply.statusText);
    const page = new DOMParser().parseFromString(await reply.text(), "text/html");
    panel.replaceWith(page.getElementById("space-panel"));
    document.querySelector("svg.compound").replaceWith(page.querySelector("svg.compound"));
  } catch {
    window.location.href = address;
    return;
  }
  history.replaceState(null, "", address);
  showFinders(document.getElementById("space-panel"));
  document.getElementById("stays")?.focus();
});

// A search box over rows (data-filter: their selector; the morning round): rows whose data-text
// holds what is typed stay. Without this script every row shows.
document.addEventListener("input", (event) => {
  const selector = event.target.dataset.filter;
  if (!selector) return;
  const wanted = squash(event.target.value);
  for (const row of document.querySelectorAll(selector)) row.hidden = !squash(row.dataset.text || "").includes(wanted);
});
