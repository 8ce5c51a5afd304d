"""The UK profile of OCDS, offline: the OCDS 1.1.5 core release schema with the Cabinet Office's
UK extension and every extension it depends on (its extension.json names them) merged in as
JSON Merge Patches (RFC 7386), from the copies in data/ocds/extensions/ (see SOURCE.txt there).
This is the schema the central platform's own data follows; a notice's body is checked against
it before it is ever submitted, and `problems` names each fault by its field."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, FormatChecker

DATA = Path(__file__).resolve().parent / "data" / "ocds"
EXTENSIONS_DIR = DATA / "extensions"
CORE_SCHEMA = DATA / "release-schema.json"

_RAW = "https://raw.githubusercontent.com"
# The URL each extension is declared by (in a package's `extensions`) and its local copy.
# Order matters: the UK extension patches definitions its dependencies add, so it comes last.
DECLARED: dict[str, str] = {
    "ocds_bid_extension": f"{_RAW}/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json",
    "ocds_lots_extension": f"{_RAW}/open-contracting-extensions/ocds_lots_extension/v1.1.5/extension.json",
    "ocds_awardCriteria_extension": f"{_RAW}/open-contracting-extensions/ocds_awardCriteria_extension/master/extension.json",
    "ocds_communication_extension": f"{_RAW}/open-contracting-extensions/ocds_communication_extension/master/extension.json",
    "ocds_location_extension": f"{_RAW}/open-contracting-extensions/ocds_location_extension/master/extension.json",
    "ocds_otherRequirements_extension":
        f"{_RAW}/open-contracting-extensions/ocds_otherRequirements_extension/master/extension.json",
    "ocds_performance_failures_extension":
        f"{_RAW}/open-contracting-extensions/ocds_performance_failures_extension/master/extension.json",
    "ocds_subcontracting_extension": f"{_RAW}/open-contracting-extensions/ocds_subcontracting_extension/master/extension.json",
    "ocds_suitability_extension": f"{_RAW}/open-contracting-extensions/ocds_suitability_extension/master/extension.json",
    "ocds_techniques_extension": f"{_RAW}/open-contracting-extensions/ocds_techniques_extension/master/extension.json",
    "ocds_uk_extension": f"{_RAW}/cabinetoffice/ocds_uk_extension/main/extension.json",
}
UK_PROFILE = list(DECLARED)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge key by key, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def local_copy(url: str) -> Path | None:
    """The file on this machine for a declared extension's URL (extension.json, release-schema.json
    or a codelist beside it), or None for a URL that is not one of ours."""
    for name, declared in DECLARED.items():
        base = declared.rsplit("/", 1)[0] + "/"
        if url.startswith(base):
            path = (EXTENSIONS_DIR / name / url[len(base):]).resolve()
            if path.is_file() and EXTENSIONS_DIR.resolve() in path.parents:
                return path
    return None


@lru_cache(maxsize=4)
def release_schema(extensions: tuple[str, ...] = tuple(UK_PROFILE)) -> dict[str, Any]:
    """The core release schema with the named extensions merged in, in order."""
    schema = json.loads(CORE_SCHEMA.read_text())
    for name in extensions:
        schema = merge_patch(schema, json.loads((EXTENSIONS_DIR / name / "release-schema.json").read_text()))
    return schema


@lru_cache(maxsize=4)
def _validator(extensions: tuple[str, ...]) -> Draft4Validator:
    return Draft4Validator(release_schema(extensions), format_checker=FormatChecker())


@dataclass(frozen=True)
class Problem:
    field: str      # a JSON path into the release: "tender/lots/0/value/amount"
    message: str

    def __str__(self) -> str:
        return f"{self.field or '(the release)'}: {self.message}"


def problems(release: dict[str, Any], extensions: tuple[str, ...] = tuple(UK_PROFILE)) -> list[Problem]:
    """Every way the release fails the profile's schema, by field, in document order."""
    found = [Problem("/".join(str(p) for p in error.absolute_path), error.message)
             for error in _validator(extensions).iter_errors(release)]
    return sorted(found, key=lambda p: (p.field, p.message))
