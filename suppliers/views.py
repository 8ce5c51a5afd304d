"""Supplier directory pages."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from procurement.parties.auth import page_actor, require
from procurement.core import access
from procurement.core.db import db
from procurement.core.errors import InvalidInput
from procurement.core.http import undone_if_refused
from procurement.core.webforms import apply_errors
from suppliers.forms import SupplierForm
from suppliers.services import create_supplier, get_supplier, list_suppliers

bp = Blueprint("suppliers", __name__, url_prefix="/suppliers", template_folder="templates")


@bp.route("/")
@login_required
def index() -> Any:
    require(access.can_list_suppliers(current_user))
    return render_template("suppliers/index.html", suppliers=list_suppliers(db.session, page_actor()))


@bp.route("/<int:supplier_id>")
@login_required
def detail(supplier_id: int) -> Any:
    return render_template("suppliers/detail.html", supplier=get_supplier(db.session, page_actor(), supplier_id))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    require(access.can_manage_suppliers(current_user))
    form = SupplierForm()
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                supplier = create_supplier(
                    db.session, page_actor(), legal_name=form.legal_name.data,
                    companies_house_number=form.companies_house_number.data, vat_number=form.vat_number.data,
                    is_sme=form.is_sme.data, is_voluntary_sector=form.is_voluntary_sector.data,
                    contact_name=form.contact_name.data, contact_email=form.contact_email.data,
                    contact_phone=form.contact_phone.data, postal_address=form.postal_address.data or "",
                )
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            flash(f"{supplier.legal_name} registered", "success")
            return redirect(url_for("suppliers.detail", supplier_id=supplier.id))
    return render_template("suppliers/new.html", form=form)
