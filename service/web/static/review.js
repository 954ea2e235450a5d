// Keyboard navigation of the candidate list (one tab stop; arrows, j/k, Home/End move;
// Enter opens) and [ / ] for the previous / next candidate on a candidate page.
(function () {
  "use strict";
  function setupList(list) {
    const links = Array.from(list.querySelectorAll("a.cand-link"));
    if (!links.length) return;
    links.forEach((a, i) => { a.tabIndex = i === 0 ? 0 : -1; });
    function go(i) {
      i = Math.max(0, Math.min(links.length - 1, i));
      links.forEach((a, j) => { a.tabIndex = j === i ? 0 : -1; });
      links[i].focus();
    }
    list.addEventListener("keydown", (ev) => {
      const i = links.indexOf(document.activeElement);
      if (i < 0 || ev.altKey || ev.ctrlKey || ev.metaKey) return;
      const moves = { ArrowDown: i + 1, j: i + 1, ArrowUp: i - 1, k: i - 1, Home: 0, End: links.length - 1 };
      if (ev.key in moves) { ev.preventDefault(); go(moves[ev.key]); }
    });
  }
  function setupPager() {
    document.addEventListener("keydown", (ev) => {
      const t = ev.target;
      if (ev.altKey || ev.ctrlKey || ev.metaKey || (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)))) return;
      const link = document.querySelector('.pager a[data-key="' + ev.key + '"]');
      if (link) { ev.preventDefault(); window.location.href = link.href; }
    });
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll('[data-keynav="candidates"]').forEach(setupList);
    setupPager();
  });
})();
