/* /docs: Swagger UI over this server's OpenAPI description, from the vendored swagger-ui-dist. */
(function () {
  "use strict";
  var box = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: box.dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
})();
