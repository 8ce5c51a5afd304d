"""The audit log's acts and the background jobs in plain English: one sentence per act and per
kind of job, from the mappings here. Pure functions of plain values; the pages (dashboards.audit,
dashboards.documents) supply who and what each is about. tests/unit/dashboards/test_plain_words.py
finds every act and job kind the code can write and fails on one without words."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from procurement.core.jobrecords import SENT_AGAIN_NOTE


@dataclass(frozen=True)
class Act:
    """An audit action in words: the group it is filtered under, a short name for the filter, and
    the sentence, in which {who} is the person and {subject} what it was done to."""

    group: str
    label: str
    sentence: str


ACTS: dict[str, Act] = {
    # Signing in and accounts
    "sign_in.succeeded": Act("Signing in", "Signed in", "{who} signed in"),
    "sign_in.failed": Act("Signing in", "Failed to sign in", "Someone failed to sign in as {subject}"),
    "sign_in.refused_locked": Act("Signing in", "Refused sign-in while locked out",
                                  "Signing in as {subject} was refused: too many failed attempts"),
    "sign_in.password_accepted": Act("Signing in", "Password accepted, second step asked",
                                     "{who} entered the right password and was asked for a code"),
    "sign_in.refused_unverified": Act("Signing in", "Refused sign-in: address not confirmed",
                                      "{who} could not sign in before confirming their email address"),
    "sign_out": Act("Signing in", "Signed out", "{who} signed out"),
    "user_session.pruned": Act("Signing in", "Old sign-in sessions deleted", "{who} deleted old sign-in sessions"),
    "user.created": Act("Accounts", "Account created", "{who} created the account of {subject}"),
    "user.roles_changed": Act("Accounts", "Roles changed", "{who} changed the roles of {subject}"),
    "user.activated": Act("Accounts", "Account turned on", "{who} turned on the account of {subject}"),
    "user.email_undeliverable": Act("Accounts", "Email address could not be delivered to",
                                    "{who} marked the email address of {subject} as undeliverable"),
    "user.email_deliverable": Act("Accounts", "Email address cleared to be sent to again",
                                  "{who} cleared the email address of {subject} to be sent to again"),
    "user.deactivated": Act("Accounts", "Account turned off", "{who} turned off the account of {subject}"),
    "user.password_changed": Act("Accounts", "Password changed", "{who} changed the password of {subject}"),
    "user.password_reset_requested": Act("Accounts", "Password reset asked for",
                                         "Someone asked for a link to reset the password of {subject}"),
    "user.password_reset": Act("Accounts", "Password reset", "{who} chose a new password by a reset link"),
    "user.email_change_requested": Act("Accounts", "Change of email address asked for",
                                       "{who} asked to change the email address of {subject}"),
    "user.email_changed": Act("Accounts", "Email address changed", "{who} confirmed a new email address"),
    "user.two_factor_enabled": Act("Accounts", "Two-factor sign-in turned on", "{who} turned on two-factor sign-in"),
    "user.two_factor_disabled": Act("Accounts", "Two-factor sign-in turned off", "{who} turned off two-factor sign-in"),
    "user.two_factor_reset": Act("Accounts", "Two-factor sign-in reset",
                                 "{who} turned off the two-factor sign-in of {subject}"),
    "user.recovery_codes_made": Act("Accounts", "Recovery codes made", "{who} made new recovery codes"),
    "user.recovery_code_used": Act("Accounts", "Recovery code used", "{who} signed in with a recovery code"),
    "user.unlocked": Act("Accounts", "Account unlocked", "{who} unlocked the account of {subject}"),
    # Joining (issue 20)
    "user.signed_up": Act("Joining", "Signed up", "{who} signed up (the address not yet confirmed)"),
    "user.email_verified": Act("Joining", "Email address confirmed", "{who} confirmed their email address"),
    "buyer_application.made": Act("Joining", "Applied to buy for an organisation", "{who} applied to buy for an organisation"),
    "buyer_application.approved": Act("Joining", "Buyer approved", "{who} approved {subject}"),
    "buyer_application.refused": Act("Joining", "Buyer refused", "{who} refused {subject}"),
    "organisation_domain.added": Act("Joining", "Email domain added", "{who} added an email domain to {subject}"),
    "organisation_domain.removed": Act("Joining", "Email domain removed", "{who} removed an email domain from {subject}"),
    "supplier.signed_up": Act("Joining", "Supplier signed up", "{who} signed up the supplier {subject}"),
    "supplier.join_requested": Act("Joining", "Asked to join a supplier", "{who} asked to join {subject}"),
    "supplier.join_accepted": Act("Joining", "Request to join accepted", "{who} accepted someone into {subject}"),
    "supplier.join_refused": Act("Joining", "Request to join refused", "{who} refused someone's request to join {subject}"),
    "supplier.colleague_invited": Act("Joining", "Colleague invited", "{who} invited a colleague to {subject}"),
    "supplier.colleague_joined": Act("Joining", "Invitation accepted", "{who} accepted an invitation to {subject}"),
    "supplier.colleague_removed": Act("Joining", "Colleague removed", "{who} removed a colleague from {subject}"),
    "supplier.administrator_made": Act("Joining", "Administrator made", "{who} made a colleague an administrator of {subject}"),
    "supplier.administrator_unmade": Act("Joining", "Administrator unmade",
                                         "{who} made a colleague no longer an administrator of {subject}"),
    "supplier.exclusions_declared": Act("Exclusions", "Exclusion grounds declared",
                                        "{who} declared the exclusion grounds of {subject}"),
    "debarment_list.imported": Act("Exclusions", "Debarment list imported", "{who} imported the debarment list"),
    "exclusion.decided": Act("Exclusions", "Exclusion decided", "{who} decided whether a bidder is excluded from {subject}"),
    "supplier.alerts_changed": Act("Joining", "Alerts changed", "{who} changed the alert interests of {subject}"),
    "api_token.created": Act("Accounts", "API token made", "{who} made an API token for {subject}"),
    "api_token.revoked": Act("Accounts", "API token revoked", "{who} revoked an API token of {subject}"),
    "organisation.created": Act("Organisations and suppliers", "Organisation added", "{who} added the organisation {subject}"),
    "supplier.created": Act("Organisations and suppliers", "Supplier added", "{who} added the supplier {subject}"),
    # Catalogue
    "catalogue_item.created": Act("Catalogue", "Catalogue item added", "{who} added {subject} to the catalogue"),
    "offer.created": Act("Catalogue", "Offer added", "{who} added the offer {subject}"),
    "offer.updated": Act("Catalogue", "Offer changed", "{who} changed the offer {subject}"),
    "offer.withdrawn": Act("Catalogue", "Offer withdrawn", "{who} withdrew the offer {subject}"),
    "offer.linked": Act("Catalogue", "Offer linked to an item", "{who} linked the offer {subject} to a catalogue item"),
    "catalogue_import.requested": Act("Catalogue", "Catalogue file sent", "{who} sent {subject} to be imported"),
    "catalogue_import.done": Act("Catalogue", "Catalogue file imported", "{subject} was imported"),
    "catalogue_import.rejected": Act("Catalogue", "Catalogue file rejected",
                                     "{subject} was rejected: a row was wrong, so nothing was written"),
    "catalogue_import.failed": Act("Catalogue", "Catalogue file unreadable", "{subject} could not be read"),
    "upload.virus_found": Act("Catalogue", "File with a virus refused", "A file from {who} held a virus and was refused"),
    # Requirements
    "requirement.created": Act("Requirements", "Requirement raised", "{who} raised {subject}"),
    "requirement.updated": Act("Requirements", "Requirement changed", "{who} changed {subject}"),
    "requirement.submitted": Act("Requirements", "Requirement submitted", "{who} submitted {subject}"),
    "requirement.withdrawn": Act("Requirements", "Requirement withdrawn", "{who} withdrew {subject}"),
    "requirement.withdrawn_by_agency": Act("Requirements", "Requirement withdrawn by the agency",
                                           "{who} withdrew {subject} for the agency"),
    "requirement.cancelled": Act("Requirements", "Requirement cancelled", "{who} cancelled {subject}"),
    "requirement.fulfilled": Act("Requirements", "Requirement fulfilled", "{who} marked {subject} as fulfilled"),
    "requirement.pooled": Act("Requirements", "Requirement put in a tender", "{subject} was put in a draft joint tender"),
    "requirement.committed": Act("Requirements", "Requirement confirmed into a tender", "{subject} was confirmed into a joint tender"),
    "requirement.declined": Act("Requirements", "Requirement declined from a tender", "{subject} was declined from a joint tender"),
    "requirement.dropped": Act("Requirements", "Requirement dropped from a tender",
                               "{subject} was dropped from a joint tender: not confirmed in time"),
    "requirement.released": Act("Requirements", "Requirement released from a tender", "{subject} was released from a joint tender"),
    "requirement.awarded": Act("Requirements", "Requirement awarded", "{subject} was awarded"),
    "requirements.upload_requested": Act("Requirements", "Requirements file sent", "{who} sent {subject} to be checked"),
    "requirements.uploaded": Act("Requirements", "Requirements file checked", "{subject} was checked"),
    # Forming and publishing a tender
    "tender.formed": Act("Tenders", "Tender formed", "{who} formed the joint tender {subject}"),
    "lot_line.confirmed": Act("Tenders", "Line confirmed", "{who} confirmed their organisation's line in {subject}"),
    "lot_line.declined": Act("Tenders", "Line declined", "{who} declined their organisation's line in {subject}"),
    "tender.confirmation_closed": Act("Tenders", "Confirmation closed", "{who} closed buyers' confirmation of {subject}"),
    "tender.details_set": Act("Tenders", "Tender details set", "{who} set the details of {subject}"),
    "tender.lots_set": Act("Tenders", "Lots named and valued", "{who} set the names and estimated values of the lots of {subject}"),
    "tender.criteria_set": Act("Tenders", "Criteria set", "{who} set the award criteria of {subject}"),
    "tender.document_added": Act("Tenders", "Tender document added", "{who} added a document to {subject}"),
    "tender.award_rules_set": Act("Tenders", "Award rules set", "{who} set the award rules of {subject}"),
    "tender.published": Act("Tenders", "Tender published", "{who} published {subject}"),
    "tender.amended": Act("Tenders", "Tender amended", "{who} amended {subject}"),
    "tender.cancelled": Act("Tenders", "Tender cancelled", "{who} cancelled {subject}"),
    "tender.followed": Act("Tenders", "Tender followed", "{who} followed {subject}, to be told of its answers and amendments"),
    "tender.unfollowed": Act("Tenders", "Tender no longer followed", "{who} stopped following {subject}"),
    "clarification.asked": Act("Tenders", "Question asked", "{who} asked a clarification question about {subject}"),
    "clarification.answered": Act("Tenders", "Question answered", "{who} answered a clarification question about {subject}"),
    "tender.closed": Act("Tenders", "Tender closed at its deadline", "{subject} closed at its deadline"),
    "tender.unsuccessful": Act("Tenders", "Tender closed with no bids", "{subject} closed with no bids by its deadline"),
    # Bids and opening
    "bid.draft_saved": Act("Bids", "Draft bid saved", "{who} saved a draft bid for {subject}"),
    "bid.submitted": Act("Bids", "Bid submitted", "{who} submitted a sealed bid for {subject}"),
    "bid.replaced": Act("Bids", "Bid replaced", "{who} replaced their sealed bid for {subject}"),
    "bid.withdrawn": Act("Bids", "Bid withdrawn", "{who} withdrew their bid for {subject}"),
    "bid.reconfirmed": Act("Bids", "Bid reconfirmed", "{who} reconfirmed their bid for {subject} after an amendment"),
    "tender.opening_requested": Act("Bids", "Opening requested", "{who} requested the opening of {subject}"),
    "tender.opened": Act("Bids", "Tender box opened", "{who} opened the tender box of {subject}"),
    # Evaluation and award
    "tender.evaluation_started": Act("Evaluation and award", "Evaluation started", "{who} started the evaluation of {subject}"),
    "evaluation.declared": Act("Evaluation and award", "Conflict declaration made",
                               "{who} declared any conflict of interest for {subject}"),
    "conflicts.declared": Act("Tenders", "Conflicts of interest declared",
                              "{who} declared on conflicts of interest for {subject}"),
    "conflicts.assessed": Act("Tenders", "Conflicts assessment recorded",
                              "{who} recorded the conflicts assessment for {subject}"),
    "evaluation.marked": Act("Evaluation and award", "Quality mark given", "{who} gave a quality mark in {subject}"),
    "evaluation.marks_submitted": Act("Evaluation and award", "Marks submitted", "{who} submitted their marks for {subject}"),
    "evaluation.consensus": Act("Evaluation and award", "Consensus mark agreed", "{who} recorded a moderated mark in {subject}"),
    "evaluation.low_price_message": Act("Evaluation and award", "Low price questioned",
                                        "{who} asked a bidder in {subject} to explain a low price"),
    "evaluation.low_price_decided": Act("Evaluation and award", "Low price decided",
                                        "{who} decided on an abnormally low price in {subject}"),
    "award.recommended": Act("Evaluation and award", "Award recommended", "{who} recommended an award in {subject}"),
    "award.approved": Act("Evaluation and award", "Award approved", "{who} approved an award in {subject}"),
    "award.optimisation_requested": Act("Evaluation and award", "Optimised award asked for",
                                        "{who} asked for an optimised award of {subject}"),
    "award.optimised_adopted": Act("Evaluation and award", "Optimised award adopted", "{who} adopted the optimised award of {subject}"),
    "award.record_rebuilt": Act("Evaluation and award", "Award record rebuilt", "{who} rebuilt the award record of {subject}"),
    "tender.award_proposed": Act("Evaluation and award", "Award proposed", "{who} proposed the award of {subject}"),
    "tender.decision_published": Act("Evaluation and award", "Award decision published",
                                     "{who} published the award decision of {subject}; standstill began"),
    "award_pack.requested": Act("Evaluation and award", "Award documents asked for", "{who} asked for the award documents of {subject}"),
    "standstill.challenged": Act("Evaluation and award", "Standstill challenged", "{who} recorded a challenge to the award of {subject}"),
    "standstill.resumed": Act("Evaluation and award", "Standstill resumed", "{who} resumed the standstill of {subject}"),
    "tender.awarded": Act("Evaluation and award", "Contracts awarded", "{who} awarded the contracts of {subject}"),
    "tender.period_short": Act("Tenders", "Tendering period cut short by a late notice",
                               "The tender notice of {subject} was published too late for the minimum tendering period"),
    "standstill.counted_from_notice": Act("Evaluation and award", "Standstill counted from the award notice",
                                          "Standstill of {subject} was counted from the day its contract award notice was published"),
    "tender.notice_published": Act("Tenders", "Tender notice published",
                                   "The tender notice of {subject} was published: its tendering period runs from then"),
    "notice.created": Act("Notices", "Notice made", "{who} made {subject}"),
    "notice.submitted": Act("Notices", "Notice submitted", "{who} submitted {subject} to Find a Tender"),
    "notice.published": Act("Notices", "Notice published", "{subject} was published"),
    "notice.rejected": Act("Notices", "Notice rejected", "Find a Tender rejected {subject}"),
    "notice.send_failed": Act("Notices", "Notice not yet sent", "Sending {subject} to Find a Tender failed; it is tried again"),
    "notice.withdrawn": Act("Notices", "Notice withdrawn", "{who} withdrew {subject}"),
    "notice.contract_copy_attached": Act("Notices", "Copy of a contract attached",
                                         "{who} attached a copy of the contract to {subject}"),
    "tender.completed": Act("Evaluation and award", "Tender completed", "{who} marked {subject} as complete"),
    # The log itself
    "audit.verified": Act("The audit log", "Audit log checked", "{who} checked the audit log's chain of digests"),
}

GROUPS = tuple(dict.fromkeys(act.group for act in ACTS.values()))

# Who did it, when it was not a person: the labels the code gives its system actors.
SYSTEM_WHO = {"seed-demo": "The demo set-up", "anonymous": "Someone not signed in", "clock": "The service's clock",
              "schedule": "The service's schedule", "cli": "An administrator at the command line"}


@dataclass(frozen=True)
class Sentence:
    """A sentence in three parts, so a page can link its subject: before, subject, after."""

    before: str
    subject: str
    after: str

    def __str__(self) -> str:
        return f"{self.before}{self.subject}{self.after}"


def who_words(label: str, name: str | None = None) -> str:
    """A person by their name; else a signed-out or system actor in words ('The service')."""
    if name:
        return name
    if label in SYSTEM_WHO:
        return SYSTEM_WHO[label]
    if label.startswith("flask "):
        return SYSTEM_WHO["cli"]
    if "@" in label:
        return label  # a person whose account is gone: the email they had
    return "The service"


def who_mid_sentence(who: str) -> str:
    """'the service' after 'by'; a person's name as it is."""
    first, _, rest = who.partition(" ")
    return f"{first.lower()} {rest}" if first in ("The", "Someone", "An") else who


def fallback_label(action: str) -> str:
    """Words for an action the mapping does not know (an old entry): 'Tender: formed'."""
    head, _, tail = action.partition(".")
    words = f"{head}: {tail}" if tail else head
    return words.replace("_", " ").capitalize()


def act_label(action: str) -> str:
    found = ACTS.get(action)
    return found.label if found else fallback_label(action)


def act_group(action: str) -> str:
    found = ACTS.get(action)
    return found.group if found else "Other"


def act_sentence(action: str, who: str, subject: str) -> Sentence:
    """'Alex Lead requested the opening of ‘Laptops for schools’', split around the subject."""
    found = ACTS.get(action)
    template = found.sentence if found else "{who}: " + fallback_label(action).lower() + " ({subject})"
    if "{subject}" not in template or not subject:
        template = template.replace(" {subject}", " something").replace("{subject}", "Something")
        return Sentence(_capital(template.format(who=who)), "", "")
    before, _, after = template.partition("{subject}")
    return Sentence(_capital(before.format(who=who)), subject, after.format(who=who))


def _lower(text: str) -> str:
    return text if text[:3].isupper() else text[:1].lower() + text[1:]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def actions_in_group(group: str) -> list[str]:
    return [action for action, act in ACTS.items() if act.group == group]


def what_choices() -> list[tuple[str, str]]:
    """The audit filter's 'what' options: each group, then each act in it, in words."""
    choices = [("", "Every act but signing in"), (EVERYTHING, "Every act, signing in too")]
    for group in GROUPS:
        choices.append((f"group:{group}", f"{group}: any"))
        choices += [(action, f"{group}: {_lower(ACTS[action].label)}") for action in actions_in_group(group)]
    return choices


EVERYTHING = "all"
QUIET = "Signing in"  # the group left out unless asked for: sign-ins would bury the acts


def actions_for(what: str) -> list[str] | None:
    """The actions a 'what' filter value stands for; None for any."""
    if not what or what == EVERYTHING:
        return None
    if what.startswith("group:"):
        return actions_in_group(what.removeprefix("group:"))
    return [what]


# Jobs ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class JobWords:
    """A kind of job in words: what it makes ({subject} is what it is about) and the verb for it."""

    thing: str
    done: str      # past participle: 'made'
    doing: str     # 'being made'
    label: str     # for the filter: 'Award decision notices'


JOB_WORDS: dict[str, JobWords] = {
    "award_pack": JobWords("Award documents for {subject}", "asked for, one job each", "being asked for", "Award documents asked for"),
    "award_notice": JobWords("Award decision notice for {subject}", "made", "being made", "Award decision notices"),
    "evaluation_report": JobWords("Evaluation report for {subject}", "made", "being made", "Evaluation reports"),
    "assessment_letter": JobWords("Assessment summary letter to {subject}", "made", "being made", "Assessment summary letters"),
    "order_summary": JobWords("Order summary for {subject}", "made", "being made", "Order summaries"),
    "contract_award_notice": JobWords("Contract award notice for {subject}", "made", "being made", "Contract award notices"),
    "optimise_award": JobWords("Optimised award of {subject}", "worked out", "being worked out", "Optimised awards"),
    "savings_report": JobWords("Savings report {subject}", "made", "being made", "Savings reports"),
    "catalogue_import": JobWords("{subject}", "imported", "being imported", "Catalogue files imported"),
    "requirement_upload": JobWords("{subject}", "checked", "being checked", "Requirements files checked"),
    "send_email": JobWords("Email {subject}", "sent", "being sent", "Emails"),
    "uk_notice_send": JobWords("Procurement Act notice {subject}", "sent", "being sent", "Procurement Act notices sent"),
}

def job_what_choices() -> list[tuple[str, str]]:
    """The jobs filter's 'what' options: each kind of job, in words."""
    return [("", "Any kind of job")] + sorted(((kind, words.label) for kind, words in JOB_WORDS.items()),
                                              key=lambda pair: pair[1])


STATUS_WORDS = {"queued": "Waiting", "running": "Running", "done": "Done", "failed": "Failed"}


def job_sentence(kind: str, status: str, subject: str, title: str = "") -> Sentence:
    """'Award decision notice for lot 1 of ‘Laptops for schools’ made', by the job's state."""
    words = JOB_WORDS.get(kind) or JobWords((title or "A background job") + " for {subject}", "done", "running", title)
    verb = {"done": words.done, "running": words.doing, "failed": f"could not be {words.done.split(',')[0]}",
            "queued": f"waiting to be {words.done.split(',')[0]}"}.get(status, words.doing)
    before, _, after = words.thing.partition("{subject}")
    if not subject:
        return Sentence(_capital(f"{before}something{after} {verb}"), "", "")
    return Sentence(_capital(before), subject, f"{after} {verb}")


_EXCEPTION = re.compile(r"^[A-Z][A-Za-z]*(Error|Exception|Refused|Conflict|NotFound|Invalid\w*): ")
_RUNNER = re.compile(r"the process running it \([^)]*\)")


def job_story(attempts: int, note: str, error: str) -> list[str]:
    """What happened to a job beyond its state, in words: retries, a stopped worker, why it failed.
    The stored note and error stay as they are, for the technical detail."""
    story = []
    if "stopped" in note and "resumed" in note:
        story.append("Job retried after the worker running it stopped")
    elif note == SENT_AGAIN_NOTE:
        story.append("Job sent again after the worker or its message was lost")
    elif re.match(r"attempt \d+ failed; trying again", note):
        story.append(f"Attempt {attempts} failed; it will be tried again")
    elif attempts > 1:
        story.append(f"Tried {attempts} times")
    if error:
        why = _EXCEPTION.sub("", error.strip().splitlines()[0])
        if "stopped" in why:
            # the runner's process name is for the technical detail
            why = _RUNNER.sub("the worker running it", why).replace("attempt(s)", "attempts")
        story.append(f"Why: {why[:300]}")
    return story


def progress_words(status: str, progress: int, note: str) -> str:
    """A running job's progress ('40%: rendering the PDF'); nothing once it is over."""
    if status != "running":
        return ""
    shown = note if note and "stopped" not in note and not note.startswith("attempt ") else ""
    return f"{progress}% done" + (f": {shown}" if shown else "")


# Audit subjects -------------------------------------------------------------------------------

def quoted(title: str) -> str:
    return f"‘{title}’"


def describe_chain(ok: bool, checked: int, broken_seq: int | None, reason: str | None) -> str:
    """The audit chain's verification in words."""
    if ok:
        return (f"The chain of digests is whole: all {checked:,} entries match the ones before them, "
                "so none has been changed, removed or reordered.")
    return (f"The chain of digests is broken at entry {broken_seq}: {reason}. "
            f"The {checked:,} entries before it check out.")


def details_text(details: dict[str, Any]) -> str:
    """The payload, for the technical detail: key: value, one a line."""
    return "\n".join(f"{key}: {value}" for key, value in sorted(details.items()))
