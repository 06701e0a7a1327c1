/* /sparql for browsers: YASGUI pointed at this server's own endpoint, with the named questions as examples.
 * No remote look-ups: prefix and term autocompletion from prefix.cc / LOV are switched off. */
(function () {
  "use strict";
  var box = document.getElementById("yasgui");
  var examples = JSON.parse(document.getElementById("example-queries").textContent);
  var byName = {};
  examples.forEach(function (q) { byName[q.name] = q.text; });
  var first = [
    "PREFIX mlkg: <https://w3id.org/mlkg#>",
    "# The models in the catalog, with their owners. Pick a named question above for more.",
    "SELECT DISTINCT ?model ?name ?owner WHERE {",
    "  ?model a mlkg:Model ; mlkg:fullyQualifiedName ?name .",
    "  OPTIONAL { ?model mlkg:owner ?owner }",
    "}",
    "ORDER BY ?name"
  ].join("\n");
  var yasgui = new Yasgui(box, {
    requestConfig: { endpoint: box.dataset.endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: box.dataset.endpoint }]; } },
    persistenceId: null,
    populateFromUrl: false,
    yasqe: { value: first, autocompleters: ["variables"], resizeable: true, editorHeight: "230px" },
    yasr: { prefixes: {} }
  });
  window.mlkgYasgui = yasgui;
  document.getElementById("examples").addEventListener("change", function (event) {
    var text = byName[event.target.value];
    if (text) { yasgui.getTab().getYasqe().setValue(text); }
  });
})();
