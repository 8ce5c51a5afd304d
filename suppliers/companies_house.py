"""Companies House's public data API: a company's profile by its number, to check a supplier
signing up is the company it says (the name matches, the company is active).

GET {COMPANIES_HOUSE_URL}/company/{number}, HTTP Basic with the API key as the user name and
no password; 200 is the profile (company_name, company_status, registered_office_address),
404 is no such company, anything else (a 401 for a bad key, a 5xx, a timeout) means we cannot
tell now."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import requests

log = logging.getLogger("procurement.companies_house")
TIMEOUT_SECONDS = 10
# Words that say what kind of company it is, not which: "Acme Ltd" is "ACME LIMITED".
_SUFFIXES = {"ltd", "limited", "plc", "llp", "cic", "the"}


class CompanyNotFound(Exception):
    """Companies House has no company with this number."""


class CompaniesHouseUnavailable(Exception):
    """Companies House did not answer usefully (down, slow, or our key refused)."""


@dataclass(frozen=True)
class CompanyProfile:
    number: str
    name: str
    status: str
    address: str

    @property
    def is_active(self) -> bool:
        return self.status == "active"


def comparable_name(name: str) -> str:
    """A company name as compared: case, punctuation, "Ltd"/"Limited" and the like ignored."""
    words = re.sub(r"[^a-z0-9& ]+", " ", name.lower().replace("&", " and ")).split()
    return " ".join(word for word in words if word not in _SUFFIXES)


def names_match(given: str, registered: str) -> bool:
    return bool(comparable_name(given)) and comparable_name(given) == comparable_name(registered)


def _address(found: dict[str, Any]) -> str:
    parts = [found.get(key) for key in ("address_line_1", "address_line_2", "locality", "region", "postal_code")]
    return ", ".join(str(part).strip() for part in parts if part and str(part).strip())


def look_up_company(number: str, *, api_key: str, base_url: str, timeout: float = TIMEOUT_SECONDS) -> CompanyProfile:
    """The company's profile; CompanyNotFound or CompaniesHouseUnavailable."""
    url = f"{base_url.rstrip('/')}/company/{number}"
    try:
        response = requests.get(url, auth=(api_key, ""), timeout=timeout, headers={"Accept": "application/json"})
    except requests.RequestException as error:
        log.warning("Companies House did not answer for %s: %s", number, error)
        raise CompaniesHouseUnavailable(str(error)) from error
    if response.status_code == 404:
        raise CompanyNotFound(number)
    if response.status_code != 200:
        # A 401 is our key refused: the person can do nothing about it but try later.
        log.warning("Companies House answered %s for %s", response.status_code, number)
        raise CompaniesHouseUnavailable(f"HTTP {response.status_code}")
    try:
        found = response.json()
        return CompanyProfile(number=str(found.get("company_number") or number), name=str(found["company_name"]),
                              status=str(found.get("company_status") or ""),
                              address=_address(found.get("registered_office_address") or {}))
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise CompaniesHouseUnavailable(f"unreadable profile: {error}") from error
