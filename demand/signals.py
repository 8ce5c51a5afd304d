"""What demand tells the domains above it, without importing them (they connect at start-up,
in the composition root)."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

requirement_leaving = _signals.signal("requirement-leaving", doc="""
A requirement is withdrawn or cancelled and leaves the flow. Sent with the requirement as
sender and `session=`, inside the transaction that moves it; a receiver's writes commit or
roll back with it.""")

tenders_under_way = _signals.signal("tenders-under-way", doc="""
Asked by the demand board: which joint tenders are being prepared or are open for bids, and
what they buy. Sent with the session as sender; each receiver returns a list of
`demand.board.TenderUnderWay` (read-only).""")

requirement_tender = _signals.signal("requirement-tender", doc="""
Asked by a requirement's page: the joint tender the requirement is confirmed into, if any.
Sent with the requirement as sender and `session=`; a receiver returns a
`demand.services.RequirementTender` or None (read-only).""")
