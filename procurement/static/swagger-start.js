// Starts Swagger UI on the API documentation page (procurement/templates/swagger_ui.html):
// the spec's URL and flask-smorest's settings come from the container's data attributes, so
// the page carries no inline script.
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  var config = { url: container.dataset.specUrl, dom_id: "#swagger-ui-container" };
  var extra = JSON.parse(container.dataset.config || "{}");
  Object.keys(extra).forEach(function (name) { config[name] = extra[name]; });
  window.ui = window.SwaggerUIBundle(config);
});
