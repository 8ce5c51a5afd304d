"""The pure rules of two-factor sign-in: the secret encrypted at rest, codes accepted once per
time step within one step either side, recovery codes kept as digests."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pyotp

from procurement.core import twofactor as totp
from procurement.parties.accounts import needs_two_factor, parse_roles
from procurement.parties.models import Membership, Role, User

AT = datetime(2027, 2, 1, 9, 0, 0, tzinfo=timezone.utc)


def test_the_secret_is_encrypted_and_only_the_same_key_reads_it():
    secret = totp.new_secret()
    sealed = totp.encrypt_secret(secret, "the service's key")
    assert secret not in sealed
    assert totp.decrypt_secret(sealed, "the service's key") == secret
    assert totp.decrypt_secret(sealed, "another key") is None
    assert totp.decrypt_secret(sealed[:-4] + "AAAA", "the service's key") is None
    assert totp.decrypt_secret("", "the service's key") is None


def test_a_code_is_accepted_for_its_step_and_one_either_side_only():
    secret = totp.new_secret()
    app = pyotp.TOTP(secret)
    step = app.timecode(AT)
    assert totp.matching_step(secret, app.at(AT), AT, None) == step
    assert totp.matching_step(secret, app.at(AT - timedelta(seconds=30)), AT, None) == step - 1
    assert totp.matching_step(secret, app.at(AT + timedelta(seconds=30)), AT, None) == step + 1
    assert totp.matching_step(secret, app.at(AT - timedelta(seconds=60)), AT, None) is None
    assert totp.matching_step(secret, app.at(AT + timedelta(seconds=60)), AT, None) is None


def test_a_step_already_used_or_an_older_one_is_refused():
    secret = totp.new_secret()
    app = pyotp.TOTP(secret)
    step = app.timecode(AT)
    assert totp.matching_step(secret, app.at(AT), AT, step) is None  # replayed
    assert totp.matching_step(secret, app.at(AT - timedelta(seconds=30)), AT, step - 1) is None
    assert totp.matching_step(secret, app.at(AT + timedelta(seconds=30)), AT, step) == step + 1


def test_codes_are_read_with_spaces_and_anything_else_is_refused():
    secret = totp.new_secret()
    code = pyotp.TOTP(secret).at(AT)
    assert totp.matching_step(secret, f" {code[:3]} {code[3:]} ", AT, None) is not None
    for wrong in ("", "12345", "1234567", "abcdef", "１２３４５６"):
        assert totp.matching_step(secret, wrong, AT, None) is None


def test_recovery_codes_are_ten_different_and_their_digests_ignore_case_spaces_and_hyphens():
    codes = totp.new_recovery_codes()
    assert len(codes) == 10 == len(set(codes))
    assert all(len(code) == 11 and code[5] == "-" for code in codes)
    code = codes[0]
    assert totp.recovery_digest(code) == totp.recovery_digest(code.upper().replace("-", " "))
    assert totp.recovery_digest(code) != totp.recovery_digest(codes[1])
    assert len(totp.recovery_digest(code)) == 64 and code not in totp.recovery_digest(code)


def test_the_key_is_shown_in_groups_of_four_and_the_qr_code_is_plain_svg():
    assert totp.secret_in_groups("ABCDEFGHIJKLMNOP") == "ABCD EFGH IJKL MNOP"
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "alex@agency.example")
    assert uri.startswith("otpauth://totp/") and "secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" in uri and "issuer=" in uri
    svg = totp.qr_svg(uri)
    assert svg.startswith("<svg") and "<title>" in svg and "<script" not in svg.lower()


def test_the_roles_that_need_two_factor_are_read_from_a_comma_list():
    assert parse_roles("agency, admin,,") == {"agency", "admin"}
    assert parse_roles("") == frozenset()
    agency = User(email="a@x.example", full_name="A", password_hash="x", memberships=[Membership(role=Role.agency)])
    buyer = User(email="b@x.example", full_name="B", password_hash="x", memberships=[Membership(role=Role.buyer)])
    assert needs_two_factor(agency, parse_roles("agency,admin"))
    assert not needs_two_factor(buyer, parse_roles("agency,admin"))
    assert not needs_two_factor(agency, parse_roles(""))
