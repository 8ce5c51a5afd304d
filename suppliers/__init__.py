"""Suppliers: companies that keep catalogues and bid."""
