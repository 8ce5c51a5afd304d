"""The service's top-level navigation and the breadcrumbs that lead back to it.

Each role sees at most seven sections (issue 19): the pages a person uses every day. The
rest live under the section they belong to (catalogue items and CPV codes under the
catalogue, the audit log and organisations under administration); the header keeps the
person's account (API tokens, password, two-factor) and their notifications, and the footer
the reference pages. A page belongs to the section whose paths are the longest prefix of its
own, so breadcrumbs never need a template's help.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from procurement.core import access

MOST_SECTIONS = 7


@dataclass(frozen=True)
class Section:
    text: str
    endpoint: str
    paths: tuple[str, ...]  # the URL prefixes whose pages belong to this section
    shown_to: Callable[[Any], bool]


def _buyer(user: Any) -> bool:
    return access.can_raise_requirements(user)


def _supplier(user: Any) -> bool:
    return access.has_role(user, "supplier")


def _agency(user: Any) -> bool:
    return access.has_role(user, "agency")


SECTIONS: tuple[Section, ...] = (
    Section("Home", "dashboards.home", ("/", "/account", "/organisations", "/documents", "/supplier"), access.is_signed_in),
    Section("Requirements", "demand.requirements", ("/requirements",), _buyer),
    Section("Orders", "evaluation.awards", ("/awards",), _buyer),
    Section("Demand board", "demand.board", ("/demand", "/requirements"), access.can_view_demand_board),
    Section("Joint tenders", "tenders.index", ("/tenders", "/agency/notices"), lambda u: access.can_manage_tenders(u) or _buyer(u)),
    Section("Opportunities", "opportunities.index", ("/opportunities",), _supplier),
    Section("Your bids", "opportunities.mine", ("/opportunities/bids",), _supplier),
    Section("Your offers", "catalogue.my_offers",
            ("/catalogue/my-offers", "/catalogue/offers", "/catalogue/imports"), lambda u: bool(u.supplier_ids)),
    Section("Catalogue", "catalogue.search", ("/catalogue", "/cpv"), access.can_browse_catalogue),
    Section("Savings", "reports.savings", ("/reports",), lambda u: _agency(u) or _buyer(u)),
    Section("Jobs", "documents.jobs", ("/jobs",), access.can_view_jobs),
    Section("Suppliers", "suppliers.index", ("/suppliers",), access.can_list_suppliers),
    Section("Administration", "admin.users", ("/admin",), access.can_manage_accounts),
)


def sections_for(user: Any, endpoints: set[str] | frozenset[str]) -> list[Section]:
    """The sections this user sees, in the menu's order (only those whose page exists)."""
    if not access.is_signed_in(user):
        return []
    return [s for s in SECTIONS if s.endpoint in endpoints and s.shown_to(user)]


def section_of(path: str, sections: list[Section]) -> Section | None:
    """The section a path belongs to: the one with the longest matching prefix."""
    best: tuple[int, Section] | None = None
    for section in sections:
        for prefix in section.paths:
            if _under(path, prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), section)
    return best[1] if best else None


def _under(path: str, prefix: str) -> bool:
    if prefix == "/":
        return path == "/"  # the home page only: a page of no section is not "Home"
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


def menu(user: Any, path: str, url_for: Callable[[str], str], endpoints: set[str] | frozenset[str]) -> dict[str, Any]:
    """The items of the service navigation and the breadcrumbs of the page at `path`."""
    sections = sections_for(user, endpoints)
    current = section_of(path, sections)
    items = [{"href": url_for(s.endpoint), "text": s.text, "active": s is current} for s in sections]
    crumbs: list[dict[str, str]] = []
    home = url_for("dashboards.home") if sections else None
    here = url_for(current.endpoint) if current is not None else None
    if home is not None and path not in (home, here):
        crumbs.append({"text": "Home", "href": home})
        if current is not None and current.endpoint != "dashboards.home":
            crumbs.append({"text": current.text, "href": here})
    return {"items": items, "breadcrumbs": crumbs}
