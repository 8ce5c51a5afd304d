"""The API's shapes of the kernel's own records: stored documents and background jobs."""
from __future__ import annotations

from marshmallow import Schema, fields


class PdfDocumentSchema(Schema):
    id = fields.Int()
    kind = fields.Str()
    title = fields.Str()
    file_name = fields.Str()
    size = fields.Int()
    sha256 = fields.Str()
    created_at = fields.AwareDateTime()


class JobSchema(Schema):
    id = fields.Int()
    kind = fields.Str()
    subject_type = fields.Str()
    subject_id = fields.Int()
    status = fields.Function(lambda j: j.status.value)
    attempts = fields.Int()
    progress = fields.Int()
    progress_note = fields.Str()
    error = fields.Str()
    result = fields.Dict()
    created_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)
