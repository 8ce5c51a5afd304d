"""The shared catalogue: CPV-classified supplier offers (issue 3)."""
