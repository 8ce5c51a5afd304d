from sqlalchemy import select, update

from procurement.core.audit import AuditEvent, record_event, verify_chain
from tests import factories


def test_events_form_a_hash_chain(session, system):
    for n in range(3):
        record_event(session, system, "test.event", subject_type="thing", subject_id=n, details={"n": n})
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    for before, after in zip(events, events[1:]):
        assert after.prev_hash == before.hash and after.seq == before.seq + 1
    assert verify_chain(session).ok


def test_verify_names_the_first_altered_event(session, system):
    for n in range(5):
        record_event(session, system, "test.event", details={"n": n})
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    victim = events[2]
    session.execute(update(AuditEvent).where(AuditEvent.id == victim.id).values(details={"n": 99}))
    session.expire_all()
    check = verify_chain(session)
    assert not check.ok and check.broken_seq == victim.seq and "altered" in check.reason


def test_verify_names_a_deleted_event(session, system):
    for n in range(4):
        record_event(session, system, "test.event", details={"n": n})
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    session.delete(events[1])
    session.flush()
    check = verify_chain(session)
    assert not check.ok and check.broken_seq == events[2].seq


def test_flask_audit_verify_reports_tampering(app, session, system):
    factories.user(session, "buyer")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output
    first = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).first()
    session.execute(update(AuditEvent).where(AuditEvent.id == first.id).values(actor_label="someone else"))
    session.flush()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"broken at event seq {first.seq}" in result.output


def test_account_and_role_changes_are_audited(session, system):
    from procurement.parties.accounts import RoleGrant, set_user_active, set_user_roles
    from procurement.parties.models import Role

    user = factories.user(session, "buyer")
    set_user_roles(session, system, user, [RoleGrant(Role.agency)])
    set_user_active(session, system, user, False)
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_type == "user_account",
                                        AuditEvent.subject_id == str(user.id))
    ).all()
    assert actions == ["user.created", "user.roles_changed", "user.deactivated"]
