"""Documents: PDFs rendered by jobs, stored once per (kind, subject, version), downloaded by
those who may, each with its SHA-256 so a copy can be verified."""
