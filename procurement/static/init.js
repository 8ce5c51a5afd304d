import { initAll } from "/assets/govuk-frontend.min.js";

initAll();
