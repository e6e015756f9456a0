// The little the pages need beyond HTML: confirmations, printing, a car's needs in the form.
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
// A search box over a list (the morning round): rows whose data-text holds what is typed stay,
// compared as plates are (case, spaces and the dot of 沪A·12345 ignored). Without JavaScript
// every row shows.
const folded = (text) => text.normalize("NFKC").toUpperCase().replace(/[\s·.\-]/g, "");
document.addEventListener("input", (event) => {
  const selector = event.target.dataset.filter;
  if (!selector) return;
  const wanted = folded(event.target.value);
  for (const row of document.querySelectorAll(selector)) row.hidden = !folded(row.dataset.text || "").includes(wanted);
});
