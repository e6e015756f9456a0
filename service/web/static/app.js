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
