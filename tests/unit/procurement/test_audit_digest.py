from datetime import datetime, timezone

from procurement.core.audit import GENESIS_HASH, event_digest

FIELDS = dict(seq=1, occurred_at=datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc), actor_id=None,
              actor_label="system", action="user.created", subject_type="user_account", subject_id="1",
              request_id=None, details={"email": "a@b.example"}, prev_hash=GENESIS_HASH)


def test_digest_is_stable_and_covers_every_field():
    digest = event_digest(**FIELDS)
    assert digest == event_digest(**dict(FIELDS))
    for key, changed in [("seq", 2), ("action", "user.deleted"), ("details", {"email": "x@b.example"}),
                         ("prev_hash", "f" * 64), ("actor_label", "someone")]:
        assert event_digest(**{**FIELDS, key: changed}) != digest, key
