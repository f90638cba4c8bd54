// Small page behaviours without inline script (the Content-Security-Policy allows scripts from
// /static only): a button with data-print prints the page, a link with data-back goes back.
document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (!target) return;
  if (target.closest("[data-print]")) {
    event.preventDefault();
    window.print();
  } else if (target.closest("[data-back]") && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});
