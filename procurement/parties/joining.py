"""People joining by themselves (issue 20): the account a person makes for themselves (not yet
usable: its address is unproved until they follow the emailed link), a member organisation's
email domains, and the buyer's application that the organisation (or the e-agency) decides.

An account made here has no role until someone gives it one: a buyer's by approval, a
supplier's once the address is confirmed (suppliers/joining.py). Agency and admin accounts are
only ever made by an administrator (accounts.create_user)."""
from __future__ import annotations

import secrets

import re
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from procurement.core import access, outbox
from procurement.core.access import Actor
from procurement.core.audit import record_event
from procurement.core.clock import now
from procurement.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from procurement.core.security import hash_password, is_valid_email, password_problems
from procurement.parties.links import issue_link
from procurement.parties.models import (
    ApplicationStatus,
    BuyerApplication,
    EmailLink,
    LinkPurpose,
    Membership,
    Organisation,
    OrganisationDomain,
    Role,
    User,
    lower_email,
)

MAX_NAME = 200
MAX_JOB_TITLE = 200
MAX_REASON = 500
# A hostname: labels of letters, digits and inner hyphens, at least two of them.
_HOSTNAME = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


# Accounts made by the person --------------------------------------------------------------

def account_problems(*, full_name: str, email: str, password: str) -> dict[str, list[str]]:
    """What is wrong with a person's own details, field by field (empty when nothing is)."""
    errors: dict[str, list[str]] = {}
    full_name = (full_name or "").strip()
    if not full_name:
        errors["full_name"] = ["Enter your full name"]
    elif len(full_name) > MAX_NAME:
        errors["full_name"] = [f"Full name must be {MAX_NAME} characters or fewer"]
    email = lower_email(email or "")
    if not email:
        errors["email"] = ["Enter your email address"]
    elif not is_valid_email(email):
        errors["email"] = ["Enter an email address in the correct format, like name@example.org"]
    if not password:
        errors["password"] = ["Enter a password"]
    elif problems := password_problems(password, email):
        errors["password"] = problems
    return errors


def existing_account(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == lower_email(email)))


def tell_account_exists(session: Session, user: User) -> None:
    """Someone signed up with the address of an account: the page says "check your email" as
    it always does (it never tells whether an address has an account); the owner is told.
    A password is hashed and thrown away, so that this takes as long as making an account."""
    hash_password(secrets.token_urlsafe(16))
    outbox.send_email(session, key=f"sign-up-again:{user.id}:{now().isoformat()}", to=user.email,
                    subject="You already have an account",
                    body=("Someone, perhaps you, tried to create an account with this email address, "
                          "which already has one.\n\nSign in with it, or reset your password if you have "
                          "forgotten it. If it was not you, you need do nothing."),
                    link="/sign-in", user=user)


def new_unverified_account(session: Session, *, full_name: str, email: str, password: str) -> User:
    user = User(email=lower_email(email), full_name=full_name.strip(), password_hash=hash_password(password),
                email_verified_at=None)
    session.add(user)
    session.flush()
    record_event(session, user, "user.signed_up", subject=user, details={"email": user.email})
    return user


def send_verification(session: Session, user: User, details: dict[str, Any], *, why: str) -> None:
    """A new link to confirm the address (earlier ones stop working), carrying what the sign-up
    is waiting for (the company's details, the application)."""
    token = issue_link(session, LinkPurpose.verify_email, user.email, user=user, details=details)
    link_id = session.scalar(select(EmailLink.id).where(EmailLink.user_id == user.id,
                                                        EmailLink.purpose == LinkPurpose.verify_email)
                             .order_by(EmailLink.id.desc()).limit(1))
    outbox.send_email(session, key=f"verify:{link_id}", to=user.email, subject="Confirm your email address",
                      body=(f"Hello {user.full_name},\n\n{why}\n\nConfirm your email address with the link below. "
                            "It works once, for 24 hours. If you did not sign up, ignore this email."),
                      link=f"/join/verify/{token}", user=user)


def resend_verification(session: Session, email: str) -> None:
    """Send the link again to an account still unconfirmed, with what its sign-up carried.
    Says nothing either way: whether the address has an account is nobody's business."""
    user = existing_account(session, email)
    if user is None or user.email_verified_at is not None or not user.active:
        return
    last = session.scalar(select(EmailLink).where(EmailLink.user_id == user.id,
                                                  EmailLink.purpose == LinkPurpose.verify_email)
                          .order_by(EmailLink.id.desc()).limit(1))
    if last is None or last.used_at is not None:
        return
    send_verification(session, user, dict(last.details or {}), why="You asked for a new link.")


def mark_verified(session: Session, user: User) -> None:
    if user.email_verified_at is None:
        user.email_verified_at = now()
        record_event(session, user, "user.email_verified", subject=user)


# Organisation domains -----------------------------------------------------------------------

def normalise_domain(value: str) -> str:
    return (value or "").strip().lower().removeprefix("@").rstrip(".")


def list_domains(session: Session, actor: Actor, organisation_id: int) -> list[OrganisationDomain]:
    if not access.can_manage_organisation_domains(actor):
        raise PermissionDenied("Only administrators keep organisations' email domains")
    return list(session.scalars(select(OrganisationDomain).where(OrganisationDomain.organisation_id == organisation_id)
                                .order_by(OrganisationDomain.domain)))


def add_domain(session: Session, actor: Actor, organisation_id: int, domain: str) -> OrganisationDomain:
    if not access.can_manage_organisation_domains(actor):
        raise PermissionDenied("Only administrators keep organisations' email domains")
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("No such organisation")
    value = normalise_domain(domain)
    if not value:
        raise InvalidInput("No domain", field_errors={"domain": ["Enter the email domain, like camden.gov.uk"]})
    if not _HOSTNAME.match(value):
        raise InvalidInput("Not a domain", field_errors={
            "domain": ["Enter an email domain in the correct format, like camden.gov.uk (no @, no spaces)"]})
    taken = session.scalar(select(OrganisationDomain).where(OrganisationDomain.domain == value))
    if taken is not None:
        raise InvalidInput("Domain taken", field_errors={
            "domain": [f"{value} is already registered to {taken.organisation.name}"]})
    found = OrganisationDomain(organisation_id=organisation.id, domain=value)
    session.add(found)
    session.flush()
    record_event(session, actor, "organisation_domain.added", subject=organisation,
                 details={"domain": value})
    return found


def remove_domain(session: Session, actor: Actor, organisation_id: int, domain_id: int) -> str:
    if not access.can_manage_organisation_domains(actor):
        raise PermissionDenied("Only administrators keep organisations' email domains")
    found = session.get(OrganisationDomain, domain_id)
    if found is None or found.organisation_id != organisation_id:
        raise NotFound("No such domain")
    value, organisation = found.domain, found.organisation
    session.delete(found)
    session.flush()
    record_event(session, actor, "organisation_domain.removed", subject=organisation, details={"domain": value})
    return value


def organisation_for_email(session: Session, email: str) -> Organisation | None:
    """The member organisation whose registered domain the address is at, or below
    (name@camden.gov.uk and name@housing.camden.gov.uk are Camden's; name@notcamden.gov.uk is not)."""
    host = lower_email(email).rpartition("@")[2]
    if not host:
        return None
    labels = host.split(".")
    candidates = [".".join(labels[i:]) for i in range(len(labels) - 1)]
    matches = list(session.scalars(select(OrganisationDomain).where(OrganisationDomain.domain.in_(candidates))))
    # The longest match wins (a body registered apart from the council whose domain it is under).
    return max(matches, key=lambda d: len(d.domain)).organisation if matches else None


def member_organisation_names(session: Session) -> list[str]:
    """The organisations whose staff can sign up (they have registered a domain)."""
    return list(session.scalars(select(Organisation.name).join(OrganisationDomain)
                                .distinct().order_by(Organisation.name)))


# Buyers' applications -----------------------------------------------------------------------

def sign_up_buyer(session: Session, *, full_name: str, email: str, job_title: str, password: str) -> None:
    """A person from a member organisation asks to buy for it: an unconfirmed account and a
    pending application, and the link to confirm the address. The answer is the same whether
    or not the address already had an account (its owner is told by email)."""
    errors = account_problems(full_name=full_name, email=email, password=password)
    job_title = (job_title or "").strip()
    if not job_title:
        errors["job_title"] = ["Enter your job title"]
    elif len(job_title) > MAX_JOB_TITLE:
        errors["job_title"] = [f"Job title must be {MAX_JOB_TITLE} characters or fewer"]
    organisation = None
    if "email" not in errors:
        organisation = organisation_for_email(session, email)
        if organisation is None:
            errors["email"] = ["Use your work email address from a member organisation"]
    if errors:
        raise InvalidInput("The sign-up details are not valid", field_errors=errors)
    assert organisation is not None
    known = existing_account(session, email)
    if known is not None:
        tell_account_exists(session, known)
        return
    user = new_unverified_account(session, full_name=full_name, email=email, password=password)
    application = BuyerApplication(user_id=user.id, organisation_id=organisation.id, job_title=job_title)
    session.add(application)
    session.flush()
    record_event(session, user, "buyer_application.made", subject=application,
                 details={"organisation": organisation.name, "job_title": job_title})
    send_verification(session, user, {"buyer_application_id": application.id},
                      why=f"You asked to buy for {organisation.name} on London Joint Procurement.")


def approvers_of(session: Session, organisation_id: int) -> list[User]:
    """Who decides an organisation's applications: its administrators and the e-agency."""
    return list(session.scalars(select(User).join(Membership).where(User.active.is_(True), or_(
        (Membership.role == Role.buyer) & (Membership.organisation_id == organisation_id) & Membership.administers,
        Membership.role == Role.agency)).distinct().order_by(User.id)))


def application_confirmed(session: Session, application: BuyerApplication) -> None:
    """The applicant has proved the address: the deciders are told."""
    if application.status is not ApplicationStatus.pending:
        return
    organisation = application.organisation
    outbox.notify(session, approvers_of(session, organisation.id), kind="buyer_application",
                  key=f"buyer_application:{application.id}",
                  subject=f"{application.user.full_name} asks to buy for {organisation.name}",
                  body=(f"{application.user.full_name} ({application.job_title}) has asked to join "
                        f"{organisation.name} as a buyer. Approve or refuse the application."),
                  link=f"/organisations/{organisation.id}/applications")


def list_applications(session: Session, actor: Actor, organisation_id: int) -> list[BuyerApplication]:
    """The organisation's applications from confirmed addresses, pending first, then the latest decided."""
    if not access.can_decide_buyer_applications(actor, organisation_id):
        raise PermissionDenied("Only the organisation's administrators and the e-agency see its applications")
    found = list(session.scalars(select(BuyerApplication).join(User, User.id == BuyerApplication.user_id).where(
        BuyerApplication.organisation_id == organisation_id, User.email_verified_at.is_not(None))
        .order_by(BuyerApplication.created_at.desc(), BuyerApplication.id.desc()).limit(200)))
    return sorted(found, key=lambda a: a.status is not ApplicationStatus.pending)


def decide_application(session: Session, actor: Actor, organisation_id: int, application_id: int, *,
                       approve: bool | None, reason: str = "") -> BuyerApplication:
    """Approve (the applicant becomes a buyer of the organisation) or refuse with a reason; the
    applicant is emailed either way."""
    application = session.get(BuyerApplication, application_id)
    if application is None or application.organisation_id != organisation_id:
        raise NotFound("No such application")
    if not access.can_decide_buyer_applications(actor, organisation_id):
        raise PermissionDenied("Only the organisation's administrators and the e-agency decide its applications")
    if application.user.email_verified_at is None:
        raise Conflict("The applicant has not confirmed their email address yet")
    if application.status is not ApplicationStatus.pending:
        raise Conflict(f"This application was {application.status.value} already")
    reason = (reason or "").strip()
    if approve is None:
        raise InvalidInput("No decision", field_errors={"decision": ["Choose whether to approve or refuse"]})
    if not approve and not reason:
        raise InvalidInput("No reason", field_errors={"reason": ["Enter the reason for refusing, for the applicant"]})
    if len(reason) > MAX_REASON:
        raise InvalidInput("Long reason", field_errors={"reason": [f"Reason must be {MAX_REASON} characters or fewer"]})
    applicant, organisation = application.user, application.organisation
    if approve and Role.buyer in applicant.roles:
        raise Conflict(f"{applicant.full_name} is a buyer already")
    application.status = ApplicationStatus.approved if approve else ApplicationStatus.refused
    application.decided_at, application.decided_by_id, application.reason = now(), access.actor_id(actor), reason
    if approve:
        applicant.memberships.append(Membership(role=Role.buyer, organisation_id=organisation.id))
    session.flush()
    record_event(session, actor, "buyer_application.approved" if approve else "buyer_application.refused",
                 subject=application, details={"organisation": organisation.name, "applicant": applicant.email,
                                               "reason": reason})
    if approve:
        body = (f"Your application to buy for {organisation.name} has been approved. "
                "Sign in to raise requirements and join tenders.")
    else:
        body = f"Your application to buy for {organisation.name} has been refused, for this reason:\n\n{reason}"
    outbox.send_email(session, key=f"buyer_application:{application.id}:{application.status.value}",
                      to=applicant.email, subject=f"Your application to buy for {organisation.name}",
                      body=body, link="/sign-in", user=applicant)
    return application


def applications_of(session: Session, user: Any) -> list[BuyerApplication]:
    """The person's own applications, latest first (their home page while they wait)."""
    if access.actor_id(user) is None:
        return []
    return list(session.scalars(select(BuyerApplication).where(BuyerApplication.user_id == user.id)
                                .order_by(BuyerApplication.created_at.desc(), BuyerApplication.id.desc())))
