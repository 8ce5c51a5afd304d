"""The notices the Procurement Act 2023 requires, kept as records with a lifecycle and sent to
the central platform (Find a Tender) through its API, or published on this service only."""
