"""Evaluation and award: the panel's marks, ranking, the award decision and its record, standstill, contracts, orders and the award pack."""
