// Starts Swagger UI on this service's OpenAPI document. It lives in a file
// of its own, not in the page, so the page's Content-Security-Policy can
// refuse every inline script.
"use strict";
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  deepLinking: true,
  // Tokens entered in "Authorize" stay in memory, never in localStorage.
  persistAuthorization: false,
  tryItOutEnabled: true,
  // The default sends the document to an outside validator service.
  validatorUrl: null,
});
