"""Bidding: the published tender's clarifications, suppliers' sealed bids and the box's opening."""
