"""A supplier's people (issue 20): its colleagues see each other; its administrators invite a
colleague by email, remove one (their sign-ins end with it), make or unmake an administrator,
and decide who may join. A supplier always keeps at least one administrator.

A request to join is kept as an invitation link of the requester's own (purpose invitation,
the requester's user id, `details` {"supplier_id", "requested": true}) whose token is never
sent: it carries the single use (decided once) and the expiry (7 days) the links have."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from procurement.core import access, outbox
from procurement.core.access import Actor
from procurement.core.audit import record_event
from procurement.core.clock import now
from procurement.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from procurement.core.security import hash_password, is_valid_email
from procurement.parties import joining as accounts_joining
from procurement.parties.links import LinkRefused, check_link, issue_link, use_link
from procurement.parties.models import EmailLink, LinkPurpose, Membership, Role, User, lower_email
from procurement.parties.sessions import end_sessions_of
from suppliers.models import Supplier


def own_supplier_id(actor: Any) -> int | None:
    """The supplier a person works for (a person holds the supplier role for one supplier)."""
    ids = sorted(getattr(actor, "supplier_ids", ()) or ())
    return ids[0] if ids else None


def _supplier(session: Session, supplier_id: int | None) -> Supplier:
    supplier = session.get(Supplier, supplier_id) if supplier_id else None
    if supplier is None:
        raise NotFound("No such supplier")
    return supplier


def _memberships(session: Session, supplier_id: int) -> list[Membership]:
    return list(session.scalars(select(Membership).join(User).where(
        Membership.role == Role.supplier, Membership.supplier_id == supplier_id).order_by(User.full_name, User.id)))


def administrators_of(session: Session, supplier_id: int) -> list[User]:
    return [m.user for m in _memberships(session, supplier_id) if m.administers and m.user.active]


@dataclass(frozen=True)
class Pending:
    link_id: int
    user_id: int | None
    email: str
    full_name: str
    expires_at: datetime


def _open_links(session: Session, supplier_id: int) -> list[EmailLink]:
    at = now()
    links = session.scalars(select(EmailLink).where(EmailLink.purpose == LinkPurpose.invitation,
                                                    EmailLink.used_at.is_(None), EmailLink.expires_at > at)
                            .order_by(EmailLink.created_at))
    return [link for link in links if (link.details or {}).get("supplier_id") == supplier_id]


def people_page(session: Session, actor: Actor, supplier_id: int | None) -> dict[str, Any]:
    """The colleagues, and for administrators the requests to join and the open invitations."""
    if not access.can_see_supplier_people(actor, supplier_id):
        raise PermissionDenied("Only the supplier's own people see its people")
    supplier = _supplier(session, supplier_id)
    administers = access.can_administer_supplier(actor, supplier.id)
    requests, invitations = [], []
    if administers:
        for link in _open_links(session, supplier.id):
            user = session.get(User, link.user_id) if link.user_id else None
            pending = Pending(link.id, link.user_id, link.email, user.full_name if user else "", link.expires_at)
            (requests if link.details.get("requested") else invitations).append(pending)
    return {"supplier": supplier, "members": _memberships(session, supplier.id), "administers": administers,
            "requests": requests, "invitations": invitations}


def _require_admin(actor: Actor, supplier_id: int | None) -> None:
    if not access.can_administer_supplier(actor, supplier_id):
        raise PermissionDenied("Only the supplier's administrators manage its people")


# Invitations --------------------------------------------------------------------------------

def invite_colleague(session: Session, actor: Actor, supplier_id: int, email: str) -> None:
    _require_admin(actor, supplier_id)
    supplier = _supplier(session, supplier_id)
    email = lower_email(email or "")
    if not email:
        raise InvalidInput("No email", field_errors={"email": ["Enter your colleague's email address"]})
    if not is_valid_email(email):
        raise InvalidInput("Bad email", field_errors={
            "email": ["Enter an email address in the correct format, like name@example.org"]})
    if any(m.user.email == email for m in _memberships(session, supplier.id)):
        raise InvalidInput("Member already", field_errors={"email": [f"{email} is one of your people already"]})
    token = issue_link(session, LinkPurpose.invitation, email, details={"supplier_id": supplier.id,
                                                                        "invited_by": access.actor_id(actor)})
    link_id = session.scalar(select(EmailLink.id).where(EmailLink.purpose == LinkPurpose.invitation,
                                                        EmailLink.email == email).order_by(EmailLink.id.desc()).limit(1))
    record_event(session, actor, "supplier.colleague_invited", subject=supplier, details={"email": email})
    outbox.send_email(session, key=f"invitation:{link_id}", to=email,
                      subject=f"Join {supplier.legal_name} on London Joint Procurement",
                      body=(f"{getattr(actor, 'full_name', 'A colleague')} has invited you to join {supplier.legal_name} "
                            "on London Joint Procurement, to see opportunities and bid for public contracts.\n\n"
                            "Accept with the link below: it works once, for 7 days."),
                      link=f"/join/invitation/{token}")


@dataclass(frozen=True)
class Invitation:
    link: EmailLink
    supplier: Supplier
    account: User | None   # the invited address already has an account


def read_invitation(session: Session, token: str | None) -> Invitation:
    """The invitation a link names (a read: it uses nothing); LinkRefused when it does nothing."""
    link = check_link(session, LinkPurpose.invitation, token)
    details = link.details or {}
    supplier = session.get(Supplier, details.get("supplier_id")) if not details.get("requested") else None
    if supplier is None:
        raise LinkRefused("unknown")
    existing = accounts_joining.existing_account(session, link.email)
    # An account whose address was never confirmed may be anyone's (made with this address and
    # another's password): the invited person gives their own details, which replace its.
    return Invitation(link, supplier, existing if existing is not None and existing.email_verified_at else None)


def accept_invitation(session: Session, token: str | None, *, full_name: str = "", password: str = "") -> User:
    """The invited person joins: a new account (confirmed: the link proves the address), or the
    account the address has, if it works for no supplier yet."""
    invitation = read_invitation(session, token)
    account = invitation.account
    if account is None:
        errors = accounts_joining.account_problems(full_name=full_name, email=invitation.link.email, password=password)
        if errors:
            raise InvalidInput("The details are not valid", field_errors=errors)
    elif account.supplier_ids:
        raise Conflict("Your account already works for a supplier: it can work for one only")
    elif account.roles:
        raise Conflict("Your account buys for an organisation or works for the agency: it cannot also work for a "
                       "supplier. Ask to be invited at another address.")
    use_link(session, LinkPurpose.invitation, token)
    supplier = invitation.supplier
    if account is None:
        unconfirmed = accounts_joining.existing_account(session, invitation.link.email)
        if unconfirmed is not None:  # never confirmed: the details are the invited person's now
            unconfirmed.full_name, unconfirmed.password_hash = full_name.strip(), hash_password(password)
            end_sessions_of(session, unconfirmed, "password changed")
            accounts_joining.mark_verified(session, unconfirmed)
            account = unconfirmed
        else:
            account = User(email=invitation.link.email, full_name=full_name.strip(),
                           password_hash=hash_password(password), email_verified_at=now())
            session.add(account)
            session.flush()
    else:
        accounts_joining.mark_verified(session, account)
    account.memberships.append(Membership(role=Role.supplier, supplier_id=supplier.id))
    session.flush()
    record_event(session, account, "supplier.colleague_joined", subject=supplier, details={"email": account.email})
    return account


# Requests to join ---------------------------------------------------------------------------

def request_to_join(session: Session, user: User, supplier: Supplier) -> None:
    """A confirmed person asks to join a supplier: its administrators are told."""
    issue_link(session, LinkPurpose.invitation, user.email, user=user,
               details={"supplier_id": supplier.id, "requested": True})
    link_id = session.scalar(select(EmailLink.id).where(EmailLink.purpose == LinkPurpose.invitation,
                                                        EmailLink.user_id == user.id).order_by(EmailLink.id.desc()).limit(1))
    record_event(session, user, "supplier.join_requested", subject=supplier, details={"email": user.email})
    outbox.notify(session, administrators_of(session, supplier.id), kind="join_request", key=f"join_request:{link_id}",
                  subject=f"{user.full_name} asks to join {supplier.legal_name}",
                  body=(f"{user.full_name} ({user.email}) has asked to join {supplier.legal_name} on London Joint "
                        "Procurement. Accept or refuse on your company's people page."),
                  link="/supplier/people")


def decide_join_request(session: Session, actor: Actor, supplier_id: int, user_id: int, *,
                        accept: bool | None) -> User:
    _require_admin(actor, supplier_id)
    supplier = _supplier(session, supplier_id)
    link = next((link for link in reversed(_open_links(session, supplier.id))
                 if link.user_id == user_id and link.details.get("requested")), None)
    if link is None:
        raise NotFound("No such request to join")
    if accept is None:
        raise InvalidInput("No decision", field_errors={"decision": ["Choose whether to accept or refuse"]})
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound("No such request to join")
    if accept and user.supplier_ids:
        raise Conflict(f"{user.full_name} works for another supplier already")
    if accept and user.roles:
        raise Conflict(f"{user.full_name} buys for an organisation or works for the agency, so cannot work for a supplier")
    claimed = session.execute(update(EmailLink).where(EmailLink.id == link.id, EmailLink.used_at.is_(None))
                              .values(used_at=now())).rowcount
    if claimed != 1:
        raise Conflict("This request has been decided already")
    if accept:
        user.memberships.append(Membership(role=Role.supplier, supplier_id=supplier.id))
    session.flush()
    record_event(session, actor, "supplier.join_accepted" if accept else "supplier.join_refused", subject=supplier,
                 details={"email": user.email})
    outbox.send_email(session, key=f"join_request:{link.id}:{'accepted' if accept else 'refused'}", to=user.email,
                      subject=f"Your request to join {supplier.legal_name}",
                      body=(f"{supplier.legal_name} has accepted your request: sign in to see its opportunities and bids."
                            if accept else f"{supplier.legal_name} has refused your request to join it."),
                      link="/sign-in", user=user)
    return user


# Colleagues ---------------------------------------------------------------------------------

def _membership_of(session: Session, supplier_id: int, user_id: int) -> Membership:
    found = session.scalar(select(Membership).where(Membership.role == Role.supplier,
                                                    Membership.supplier_id == supplier_id, Membership.user_id == user_id))
    if found is None:
        raise NotFound("No such colleague")
    return found


def colleague(session: Session, actor: Actor, supplier_id: int, user_id: int) -> Membership:
    _require_admin(actor, supplier_id)
    return _membership_of(session, supplier_id, user_id)


def remove_colleague(session: Session, actor: Actor, supplier_id: int, user_id: int) -> User:
    """They no longer work for the supplier: the role goes and every sign-in of theirs ends."""
    _require_admin(actor, supplier_id)
    membership = _membership_of(session, supplier_id, user_id)
    if user_id == access.actor_id(actor):
        raise Conflict("You cannot remove yourself: ask another administrator")
    if membership.administers and len(administrators_of(session, supplier_id)) <= 1:
        raise Conflict("You cannot remove the last administrator")
    user, supplier = membership.user, membership.supplier
    user.memberships.remove(membership)
    session.flush()
    end_sessions_of(session, user, "removed from supplier")
    record_event(session, actor, "supplier.colleague_removed", subject=supplier, details={"email": user.email})
    return user


def set_administrator(session: Session, actor: Actor, supplier_id: int, user_id: int, administers: bool | None) -> User:
    _require_admin(actor, supplier_id)
    membership = _membership_of(session, supplier_id, user_id)
    if administers is None:
        raise InvalidInput("No choice", field_errors={"administers": ["Choose whether they are an administrator"]})
    if not administers and membership.administers and len(administrators_of(session, supplier_id)) <= 1:
        raise Conflict("A supplier needs at least one administrator: make someone else one first")
    if membership.administers != administers:
        membership.administers = administers
        session.flush()
        record_event(session, actor, "supplier.administrator_made" if administers else "supplier.administrator_unmade",
                     subject=membership.supplier, details={"email": membership.user.email})
    return membership.user
