"""Job functions of the platform core. Jobs take ids or nothing, open their own session,
commit their own work, and never swallow an exception."""
from __future__ import annotations

from procurement.core.access import SystemActor
from procurement.core.audit import record_event, verify_chain
from procurement.core.db import db


def verify_audit_chain() -> dict[str, object]:
    """Recompute the audit chain and record the result in the log itself."""
    session = db.bound().sessionmaker()
    try:
        check = verify_chain(session)
        record_event(session, SystemActor("job:verify_audit_chain"), "audit.verified",
                     details={"ok": check.ok, "events_checked": check.events_checked,
                              "broken_seq": check.broken_seq})
        session.commit()
        return {"ok": check.ok, "events_checked": check.events_checked, "broken_seq": check.broken_seq}
    finally:
        session.close()
