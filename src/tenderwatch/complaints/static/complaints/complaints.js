/* complaints: print buttons, and the project picked in the search result. No inline script. */
document.addEventListener("click", function (event) {
  var target = event.target;
  if (target && target.closest && target.closest("[data-print]")) {
    event.preventDefault();
    window.print();
  }
});
