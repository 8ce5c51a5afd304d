"""The plain builders of the OCDS parties and package metadata."""
from __future__ import annotations

from types import SimpleNamespace

from opendata import ocds


def test_scheme_qualified_identifiers_split():
    assert ocds.split_identifier("GB-LAE-CMD") == ("GB-LAE", "CMD")
    assert ocds.split_identifier("GB-NHS-R1H") == ("GB-NHS", "R1H")
    assert ocds.split_identifier("GB-PPON-ABCD-1234-EFGH") == ("GB-PPON", "ABCD-1234-EFGH")
    for unknown in (None, "", "CMD", "GB-LAE", "GB--X"):
        assert ocds.split_identifier(unknown) is None


def test_an_organisation_party():
    who = ocds.Publisher(contact_email="procurement@agency.example", service_url="https://ljp.example")
    council = ocds.organisation_party(SimpleNamespace(id=7, name="London Borough of Camden", org_identifier="GB-LAE-CMD"), who)
    assert council["id"] == "GB-LAE-CMD" and council["roles"] == ["buyer"]
    assert council["identifier"] == {"scheme": "GB-LAE", "id": "CMD", "legalName": "London Borough of Camden"}
    assert council["contactPoint"]["email"] == "procurement@agency.example"  # a role mailbox, never a person
    assert council["address"]["countryName"] == "United Kingdom"
    unregistered = ocds.organisation_party(SimpleNamespace(id=8, name="Peabody Trust", org_identifier=None), who)
    assert unregistered["id"] == "ljp-organisation-8" and "scheme" not in unregistered["identifier"]


def test_a_supplier_party_and_its_address():
    supplier = SimpleNamespace(id=3, legal_name="Borough CRM Solutions Ltd", companies_house_number="09990003",
                               postal_address="40 Holloway Road, London N7 8JL", is_sme=True)
    party = ocds.supplier_party(supplier, ["tenderer"])
    assert party["id"] == "GB-COH-09990003" and party["identifier"]["scheme"] == "GB-COH"
    assert party["address"] == {"streetAddress": "40 Holloway Road", "locality": "London", "postalCode": "N7 8JL",
                                "countryName": "United Kingdom"}
    assert "details" not in party  # no party scale: its extension is not vendored
    assert ocds.supplier_address("Unit 4")["streetAddress"] == "Unit 4"


def test_publisher_from_configuration():
    who = ocds.Publisher.from_config({"OCDS_PUBLISHER_NAME": "LondonConnects", "OCDS_PUBLISHER_SCHEME": "GB-PPON",
                                      "OCDS_PUBLISHER_UID": "ABCD-1234-EFGH", "OCDS_PUBLISHER_URI": "https://x.example",
                                      "OCDS_PUBLICATION_POLICY": "https://x.example/policy",
                                      "OCDS_AGENCY_IDENTIFIER": "GB-PPON-ABCD-1234-EFGH"})
    meta = ocds.package_metadata("https://x.example/p", ocds.datetime(2026, 12, 1, tzinfo=ocds.timezone.utc), who)
    assert meta["publisher"] == {"name": "LondonConnects", "scheme": "GB-PPON", "uid": "ABCD-1234-EFGH",
                                 "uri": "https://x.example"}
    assert meta["publicationPolicy"] == "https://x.example/policy" and meta["extensions"] == ocds.EXTENSIONS
    assert ocds.Publisher.from_config({}).name == ocds.AGENCY_NAME
    assert "uid" not in ocds.package_metadata("u", ocds.datetime(2026, 1, 1, tzinfo=ocds.timezone.utc), ocds.Publisher())["publisher"]
