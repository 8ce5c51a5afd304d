"""Joint tenders, sealed bids, opening and evaluation (issues 5 and 6)."""
