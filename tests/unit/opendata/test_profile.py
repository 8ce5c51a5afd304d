"""The UK profile schema, compiled offline from the copies of the extensions."""
import json

from opendata import profile


def test_merge_patch_follows_rfc_7386():
    assert profile.merge_patch({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": None, "e": 4}, "f": [1]}) == \
        {"a": 1, "b": {"d": 3, "e": 4}, "f": [1]}
    assert profile.merge_patch({"a": 1}, [2]) == [2]


def test_every_dependency_of_the_uk_extension_is_merged_before_it():
    declared = json.loads((profile.EXTENSIONS_DIR / "ocds_uk_extension" / "extension.json").read_text())["dependencies"]
    names = {url.split("/")[4] for url in declared}
    assert names <= set(profile.UK_PROFILE[:-1]) and profile.UK_PROFILE[-1] == "ocds_uk_extension"


def test_the_profile_has_the_uk_fields_and_their_dependencies_definitions():
    schema = profile.release_schema()
    assert "standstillPeriod" in schema["definitions"]["Award"]["properties"]
    assert {"Communication", "Suitability", "Techniques", "Lot", "Bid", "Location"} <= set(schema["definitions"])


def test_problems_are_named_by_field():
    release = {"ocid": "ocds-abc-1", "id": "ocds-abc-1-tender", "date": "2026-12-01T00:00:00Z", "tag": ["tender"],
               "initiationType": "tender", "tender": {"id": "1", "value": {"amount": "lots", "currency": "GBP"}}}
    found = profile.problems(release)
    assert [p.field for p in found] == ["tender/value/amount"]
    assert "not of type" in str(found[0])


def test_a_declared_url_maps_to_its_copy_and_nothing_else_does():
    url = profile.DECLARED["ocds_uk_extension"]
    assert profile.local_copy(url) == profile.EXTENSIONS_DIR / "ocds_uk_extension" / "extension.json"
    assert profile.local_copy(url.replace("extension.json", "../../../../etc/passwd")) is None
    assert profile.local_copy("https://example.org/extension.json") is None
