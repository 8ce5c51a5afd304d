"""The kinds of notification: what each is about, who gets it, and whether the law requires it
be sent whatever the person's preference (an amendment to a tender they bid on, a decision)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NotificationKind:
    name: str
    title: str          # on the preferences page: "New opportunities in your interests"
    audience: str       # "supplier", "buyer", "agency", "admin", "everyone"
    statutory: bool = False


KINDS: dict[str, NotificationKind] = {kind.name: kind for kind in [
    NotificationKind("new_opportunity", "New opportunities in your interests", "supplier"),
    NotificationKind("answer_published", "Answers published to tenders you follow", "supplier"),
    NotificationKind("amendment", "Changes to tenders you follow (bids to confirm again)", "supplier", statutory=True),
    NotificationKind("draft_reminder", "Reminders of bids not yet submitted", "supplier"),
    NotificationKind("bid_received", "Receipts for bids you submit", "supplier"),
    NotificationKind("decision", "Award decisions on your bids", "supplier", statutory=True),
    NotificationKind("lines_to_confirm", "Lines for your organisation to confirm, and reminders", "buyer"),
    NotificationKind("contracts_entered", "Contracts entered and orders ready", "buyer"),
    NotificationKind("buyer_application", "People asking to join your organisation", "buyer"),
    NotificationKind("join_request", "People asking to join your company or organisation", "everyone"),
    NotificationKind("opening_requested", "Openings waiting for a second person", "agency"),
    NotificationKind("marking_assigned", "Marking assigned to you", "agency"),
    NotificationKind("approval_waiting", "Approvals waiting for you", "agency"),
    NotificationKind("import_finished", "Imports finished", "everyone"),
    NotificationKind("job_failed", "Background jobs that failed", "agency"),
    NotificationKind("undeliverable", "Email addresses that cannot be delivered to", "admin"),
]}


def kind(name: str) -> NotificationKind:
    if name not in KINDS:
        raise ValueError(f"unknown notification kind {name!r}")
    return KINDS[name]
