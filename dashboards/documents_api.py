"""Documents and jobs in the API."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from procurement.parties.auth import api_actor, token_required
from procurement.core import access
from procurement.core.db import db
from procurement.core.errors import NotFound, PermissionDenied
from procurement.core.jobrecords import Job, retry_job
from tenders.lifecycle import readable_documents
from dashboards import documents
from procurement.core.http import send_stored
from procurement.core.storage import file_store
from procurement.core.schemas import JobSchema, PdfDocumentSchema

blp = Blueprint("documents_api", __name__, url_prefix="/api/v1",
                description="Documents (PDFs with their SHA-256) and the background jobs that make them")
blueprints = [blp]


def _agency() -> None:
    if not access.can_view_jobs(api_actor()):
        raise PermissionDenied("Jobs are watched by the agency")


@blp.route("/tenders/<int:tender_id>/documents")
class TenderDocuments(MethodView):
    decorators = [token_required]

    @blp.response(200, PdfDocumentSchema(many=True))
    def get(self, tender_id: int) -> Any:
        """The tender's documents you may read"""
        return readable_documents(db.session, api_actor(), tender_id)


@blp.route("/documents/<int:document_id>")
class DocumentFile(MethodView):
    decorators = [token_required]

    @blp.response(200, description="The PDF; its SHA-256 in the X-Content-SHA256 header")
    def get(self, document_id: int) -> Any:
        document = documents.get_document(db.session, api_actor(), document_id)
        return send_stored(file_store(db.session), document.stored_path,
                           download_name=documents.name_document(db.session, document).file_name,
                           size=document.size, sha256=document.sha256, mimetype="application/pdf")


@blp.route("/jobs")
class Jobs(MethodView):
    decorators = [token_required]

    @blp.response(200, JobSchema(many=True))
    def get(self) -> Any:
        """Agency: the latest background jobs"""
        _agency()
        return db.session.scalars(select(Job).order_by(Job.id.desc()).limit(200)).all()


@blp.route("/jobs/<int:job_id>")
class JobById(MethodView):
    decorators = [token_required]

    @blp.response(200, JobSchema)
    def get(self, job_id: int) -> Any:
        _agency()
        job = db.session.get(Job, job_id)
        if job is None:
            raise NotFound("No such job")
        return job


@blp.route("/jobs/<int:job_id>/retry")
class JobRetry(MethodView):
    decorators = [token_required]

    @blp.response(200, JobSchema)
    def post(self, job_id: int) -> Any:
        """Agency: ask again for a failed job"""
        _agency()
        job = db.session.get(Job, job_id)
        if job is None:
            raise NotFound("No such job")
        access.can_retry_job(api_actor(), job).enforce()
        return retry_job(db.session, job)
