/* The lineage graph of an entity page (docs/architecture.md, section 11).
 * Data: GET /lineage?entity=&direction=&depth= (JSON), drawn with Cytoscape.js and the dagre layout.
 * Clicking a node opens its page; hovering shows the asserted edges that link it to the page's entity.
 * Text goes into the DOM with textContent only; links only for this server's pages and http(s) IRIs. */
(function () {
  "use strict";
  var box = document.getElementById("lineage");
  if (!box || typeof cytoscape === "undefined") { return; }
  var entity = box.dataset.entity;
  var base = box.dataset.base || "";
  var controls = document.getElementById("lineage-controls");
  var COLOURS = {
    model: "#7c3aed", version: "#a78bfa", deployment: "#db2777", feature: "#059669",
    feature_table: "#10b981", table: "#2563eb", column: "#60a5fa", prediction_table: "#0891b2",
    dashboard: "#ea580c", pipeline: "#ca8a04", run: "#9ca3af", experiment: "#6b7280"
  };
  var legend = document.createElement("ul");
  legend.className = "legend";
  box.parentNode.insertBefore(legend, box.nextSibling);
  var tip = document.createElement("div");
  tip.className = "graph-tip";
  tip.hidden = true;
  box.parentNode.insertBefore(tip, box.nextSibling);

  function short(iri) {
    var hash = Math.max(iri.lastIndexOf("#"), iri.lastIndexOf("/"));
    return hash >= 0 ? iri.slice(hash + 1) : iri;
  }

  function shortName(name) {
    /* The end of a fully qualified name: its last segment, or its last two when the last is short (v3). */
    var parts = name.split(".");
    var label = parts.length > 1 && parts[parts.length - 1].length <= 3 ? parts.slice(-2).join(".") : parts[parts.length - 1];
    return label.length > 30 ? label.slice(0, 29) + "\u2026" : label;
  }

  function hrefOf(iri) {
    if (base && iri.indexOf(base) === 0 && iri.length > base.length) {
      return "/id/" + iri.slice(base.length);
    }
    try {
      var url = new URL(iri);
      return (url.protocol === "http:" || url.protocol === "https:") ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function fetchWalk(direction, depth) {
    var params = new URLSearchParams({ entity: entity, direction: direction });
    if (depth) { params.set("depth", depth); }
    return fetch(box.dataset.lineage + "?" + params.toString(), { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("lineage request failed: HTTP " + response.status); }
        return response.json();
      });
  }

  function pathTo(id, edges) {
    /* The edges from the page's entity to `id`, by a breadth-first walk over the edges drawn. */
    var previous = {}, seen = {}, queue = [entity];
    seen[entity] = true;
    while (queue.length) {
      var node = queue.shift();
      if (node === id) { break; }
      edges.forEach(function (edge) {
        var next = edge.source === node ? edge.target : (edge.target === node ? edge.source : null);
        if (next !== null && !seen[next]) { seen[next] = true; previous[next] = edge; queue.push(next); }
      });
    }
    var hops = [], at = id;
    while (previous[at]) { hops.unshift(previous[at]); at = previous[at].source === at ? previous[at].target : previous[at].source; }
    return hops;
  }

  function showTip(node, edges, position) {
    tip.textContent = "";
    var title = document.createElement("strong");
    title.textContent = node.data("name") + " (" + node.data("kind").replace(/_/g, " ") + ")";
    tip.appendChild(title);
    var hops = pathTo(node.id(), edges);
    var list = document.createElement("ol");
    hops.forEach(function (hop) {
      var item = document.createElement("li");
      item.textContent = short(hop.source) + " \u2192 " + short(hop.target) + "  [" + short(hop.predicate) +
        (hop.graph ? " in " + short(hop.graph) : "") + "]";
      list.appendChild(item);
    });
    if (hops.length) { tip.appendChild(list); }
    /* renderedPosition is within the graph's box; the tip is placed in the box's positioned parent */
    tip.style.left = Math.round(box.offsetLeft + position.x + 14) + "px";
    tip.style.top = Math.round(box.offsetTop + position.y + 14) + "px";
    tip.hidden = false;
  }

  function draw(walks) {
    var nodes = {}, edges = [], seen = {};
    walks.forEach(function (walk) {
      walk.nodes.forEach(function (node) { if (!nodes[node.id]) { nodes[node.id] = node; } });
      walk.edges.forEach(function (edge) {
        var key = edge.source + " " + edge.target;
        if (!seen[key]) { seen[key] = true; edges.push(edge); }
      });
    });
    var elements = Object.keys(nodes).map(function (id) {
      var node = nodes[id];
      var label = shortName(node.name);
      return { data: { id: id, label: label, name: node.name, kind: node.kind, root: id === entity ? 1 : 0,
                       colour: COLOURS[node.kind] || "#6b7280" } };
    });
    edges.forEach(function (edge, index) {
      elements.push({ data: { id: "e" + index, source: edge.source, target: edge.target } });
    });
    if (box.cy) { box.cy.destroy(); }
    var cy = cytoscape({
      container: box,
      elements: elements,
      style: [
        { selector: "node", style: {
          "shape": "round-rectangle", "background-color": "data(colour)", "label": "data(label)",
          "color": "#ffffff", "font-size": 12, "text-valign": "center", "text-halign": "center",
          "width": function (node) { return Math.max(48, node.data("label").length * 7 + 22); },
          "height": 26, "font-family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif" } },
        { selector: "node[root = 1]", style: { "border-width": 3, "border-color": "#111827", "font-weight": "bold",
          "height": 32 } },
        { selector: "edge", style: { "width": 1.5, "line-color": "#cbd5e1", "target-arrow-color": "#94a3b8",
          "target-arrow-shape": "triangle", "curve-style": "bezier", "arrow-scale": 0.9 } },
        { selector: "node.hover", style: { "underlay-color": "#4f46e5", "underlay-opacity": 0.18, "underlay-padding": 4 } }
      ],
      maxZoom: 1.6,
      layout: { name: "dagre", rankDir: "LR", nodeSep: 12, rankSep: 50, padding: 12 }
    });
    box.cy = cy;
    window.mlkgLineage = cy;
    cy.on("tap", "node", function (event) {
      var href = hrefOf(event.target.id());
      if (href && event.target.id() !== entity) { window.location.assign(href); }
    });
    cy.on("mouseover", "node", function (event) {
      event.target.addClass("hover");
      showTip(event.target, edges, event.renderedPosition || event.target.renderedPosition());
    });
    cy.on("mouseout", "node", function (event) { event.target.removeClass("hover"); tip.hidden = true; });
    legend.textContent = "";
    var kinds = {};
    Object.keys(nodes).forEach(function (id) { kinds[nodes[id].kind] = true; });
    Object.keys(kinds).sort().forEach(function (kind) {
      var item = document.createElement("li");
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.backgroundColor = COLOURS[kind] || "#6b7280";
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(kind.replace(/_/g, " ")));
      legend.appendChild(item);
    });
    box.dataset.state = "drawn";
    box.dataset.nodes = String(cy.nodes().length);
  }

  function load() {
    var form = new FormData(controls);
    var direction = form.get("direction"), depth = form.get("depth");
    var wanted = direction === "both" ? ["upstream", "downstream"] : [direction];
    box.dataset.state = "loading";
    Promise.all(wanted.map(function (d) { return fetchWalk(d, depth); }))
      .then(draw)
      .catch(function (error) {
        box.dataset.state = "failed";
        box.textContent = "The lineage could not be loaded: " + error.message;
      });
  }

  controls.addEventListener("change", load);
  load();
})();
