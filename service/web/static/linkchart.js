// The link chart: a small SVG renderer for the data the page embeds (#chart-data).
// Nodes are links (<a>) when they open something (a case of yours, the life of a gun)
// and focusable groups otherwise; pointing at or focusing a node shows its details.
// Pan: drag, or the arrow keys on the chart. Zoom: wheel, + / -, 0 fits, or the buttons.
// Positions come from the server; nothing here knows the list of node kinds or links.
(function () {
  "use strict";
  const NS = "http://www.w3.org/2000/svg";

  function el(name, attrs, parent) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  function shape(node, parent) {
    const s = node.size, fill = node.hollow ? "#ffffff" : node.fill;
    const common = { fill: fill, stroke: node.hollow ? node.fill : "#ffffff", "stroke-width": node.hollow ? 2.5 : 1.5,
                     class: "shape" };
    if (node.shape === "circle") return el("circle", Object.assign({ r: s }, common), parent);
    if (node.shape === "square") return el("rect", Object.assign({ x: -s, y: -s, width: 2 * s, height: 2 * s }, common), parent);
    if (node.shape === "triangle") {
      return el("path", Object.assign({ d: `M0,${-s * 1.1} L${s},${s * 0.75} L${-s},${s * 0.75} Z` }, common), parent);
    }
    return el("path", Object.assign({ d: `M0,${-s} L${s},0 L0,${s} L${-s},0 Z` }, common), parent);
  }

  function setup(svg, data) {
    const details = document.getElementById("chart-details");
    // The whole drawing, at least a frame's worth, so a small chart is not blown up.
    const w0 = Math.max(data.width + 40, 640), h0 = Math.max(data.height + 40, 460);
    const full = { x: data.width / 2 - w0 / 2, y: data.height / 2 - h0 / 2, w: w0, h: h0 };
    let vb = Object.assign({}, full);
    function apply() { svg.setAttribute("viewBox", `${vb.x} ${vb.y} ${vb.w} ${vb.h}`); }
    function unitsPerPixel() {
      const r = svg.getBoundingClientRect();
      return Math.max(vb.w / Math.max(r.width, 1), vb.h / Math.max(r.height, 1));
    }
    function toChart(clientX, clientY) {
      const r = svg.getBoundingClientRect(), k = unitsPerPixel();
      // preserveAspectRatio xMidYMid meet: the drawing is centred in the element
      const ox = (r.width * k - vb.w) / 2, oy = (r.height * k - vb.h) / 2;
      return { x: vb.x - ox + (clientX - r.left) * k, y: vb.y - oy + (clientY - r.top) * k };
    }
    function zoom(f, cx, cy) {
      const w = vb.w / f, h = vb.h / f;
      if (w < 40 || w > full.w * 8) return;
      if (cx === undefined) { cx = vb.x + vb.w / 2; cy = vb.y + vb.h / 2; }
      vb = { x: cx - (cx - vb.x) / f, y: cy - (cy - vb.y) / f, w: w, h: h };
      apply();
    }
    function pan(dx, dy) { vb.x += dx; vb.y += dy; apply(); }
    function fit() { vb = Object.assign({}, full); apply(); }

    const viewport = el("g", { class: "viewport" }, svg);
    const edgeLayer = el("g", { class: "edges", "aria-hidden": "true" }, viewport);
    const nodeLayer = el("g", { class: "nodes" }, viewport);
    data.edges.forEach((e) => {
      const a = data.nodes[e.s], b = data.nodes[e.t];
      el("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y, stroke: e.colour, "stroke-width": e.width,
                   "stroke-dasharray": e.dash || null, "data-link": e.link }, edgeLayer);
    });
    const neighbours = data.nodes.map(() => []);
    data.edges.forEach((e) => { neighbours[e.s].push(e.t); neighbours[e.t].push(e.s); });

    function show(i) {
      const n = data.nodes[i];
      details.textContent = "";
      const h = document.createElement("h3");
      h.textContent = n.title;
      details.appendChild(h);
      const dl = document.createElement("dl");
      dl.className = "facts";
      [[data.texts.kind, n.kind_name]].concat(n.facts).forEach(([k, v]) => {
        const div = document.createElement("div"), dt = document.createElement("dt"), dd = document.createElement("dd");
        dt.textContent = k; dd.textContent = v;
        div.append(dt, dd); dl.appendChild(div);
      });
      details.appendChild(dl);
      if (n.url) {
        const p = document.createElement("p"), a = document.createElement("a");
        a.href = n.url;
        a.textContent = n.kind === "case" ? data.texts.open_case : data.texts.open_gun;
        p.appendChild(a); details.appendChild(p);
      }
      nodeEls.forEach((g, j) => g.classList.toggle("near", j === i || neighbours[i].indexOf(j) >= 0));
      svg.classList.add("focusing");
    }
    function unshow() { svg.classList.remove("focusing"); }

    const nodeEls = data.nodes.map((n, i) => {
      const g = n.url
        ? el("a", { href: n.url, class: "node", "aria-label": n.title }, nodeLayer)
        : el("g", { class: "node", tabindex: 0, role: "button", "aria-label": n.title }, nodeLayer);
      g.setAttribute("transform", `translate(${n.x},${n.y})`);
      g.setAttribute("data-kind", n.kind);
      if (n.case_id) g.setAttribute("data-case-id", n.case_id);
      g.setAttribute("data-node", n.id);
      shape(n, g);
      if (n.show_label) {
        el("text", { x: n.size + 4, y: 4, class: "label", "aria-hidden": "true" }, g).textContent = n.label;
      }
      g.addEventListener("mouseenter", () => show(i));
      g.addEventListener("mouseleave", unshow);
      g.addEventListener("focus", () => {
        show(i);
        // keep the focused node in view
        if (n.x < vb.x || n.x > vb.x + vb.w || n.y < vb.y || n.y > vb.y + vb.h) {
          vb.x = n.x - vb.w / 2; vb.y = n.y - vb.h / 2; apply();
        }
      });
      g.addEventListener("blur", unshow);
      if (!n.url) {
        g.addEventListener("click", () => { show(i); g.focus(); });
        g.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); show(i); } });
      }
      return g;
    });

    // Dragging pans; a drag never counts as a click on the node it started on.
    let drag = null, dragged = false;
    svg.addEventListener("pointerdown", (ev) => {
      if (ev.button !== 0) return;
      drag = { x: ev.clientX, y: ev.clientY, vx: vb.x, vy: vb.y, k: unitsPerPixel(), id: ev.pointerId };
      dragged = false;
    });
    svg.addEventListener("pointermove", (ev) => {
      if (!drag) return;
      const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (!dragged && Math.abs(dx) + Math.abs(dy) < 5) return;
      if (!dragged) { dragged = true; svg.setPointerCapture(drag.id); svg.classList.add("dragging"); }
      vb.x = drag.vx - dx * drag.k; vb.y = drag.vy - dy * drag.k; apply();
    });
    function endDrag() { drag = null; svg.classList.remove("dragging"); }
    svg.addEventListener("pointerup", endDrag);
    svg.addEventListener("pointercancel", endDrag);
    svg.addEventListener("click", (ev) => { if (dragged) { ev.preventDefault(); ev.stopPropagation(); dragged = false; } }, true);
    svg.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const p = toChart(ev.clientX, ev.clientY);
      zoom(ev.deltaY < 0 ? 1.2 : 1 / 1.2, p.x, p.y);
    }, { passive: false });
    svg.addEventListener("keydown", (ev) => {
      if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
      const step = vb.w / 10;
      const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      if (ev.key in moves) { ev.preventDefault(); pan(moves[ev.key][0], moves[ev.key][1]); }
      else if (ev.key === "+" || ev.key === "=") { ev.preventDefault(); zoom(1.25); }
      else if (ev.key === "-" || ev.key === "_") { ev.preventDefault(); zoom(1 / 1.25); }
      else if (ev.key === "0") { ev.preventDefault(); fit(); }
    });
    const tools = document.querySelector("[data-chart-tools]");
    if (tools) {
      tools.hidden = false;
      tools.addEventListener("click", (ev) => {
        const b = ev.target.closest("button[data-zoom]");
        if (!b) return;
        ({ in: () => zoom(1.25), out: () => zoom(1 / 1.25), fit: fit })[b.dataset.zoom]();
      });
    }
    apply();
    svg.dataset.ready = "1";
  }

  document.addEventListener("DOMContentLoaded", () => {
    const svg = document.getElementById("link-chart"), blob = document.getElementById("chart-data");
    if (!svg || !blob) return;
    document.querySelectorAll("[data-needs-script]").forEach((p) => { p.hidden = true; });
    setup(svg, JSON.parse(blob.textContent));
  });
})();
