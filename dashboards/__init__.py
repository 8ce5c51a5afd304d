"""What each person opens to see their work: the role home pages, stored documents with their
access checks, the agency's jobs page and the audit log. A face: it reads every domain and
nothing imports it but the root."""
