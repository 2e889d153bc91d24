// Character counters for text inputs with data-counter (the slot's limit); works after htmx swaps.
function updateCounter(input) {
  const limit = Number(input.dataset.counter);
  const counter = input.parentElement.querySelector(".counter");
  if (!counter) return;
  counter.textContent = `${input.value.length} / ${limit}`;
  counter.classList.toggle("over", input.value.length > limit);
}
document.addEventListener("input", (event) => {
  if (event.target.matches("input[data-counter]")) updateCounter(event.target);
});
document.addEventListener("htmx:load", (event) => {
  event.target.querySelectorAll("input[data-counter]").forEach(updateCounter);
});
