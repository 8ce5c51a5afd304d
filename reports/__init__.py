"""Savings reports across tenders, organisations, categories and periods, with charts and PDFs.
A face: it reads every domain and nothing imports it but the root."""
