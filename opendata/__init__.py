"""Open data: the published tenders, awards and contracts as OCDS 1.1 releases and records, and
the public register. A face: it reads every domain and nothing imports it but the root."""
