"""Notifications: what the service tells a person, on the site and by email. A domain writes
a notification in the same transaction as the event that causes it (`notify`); its email is
sent by a job on the job table, idempotent by the notification's key."""
