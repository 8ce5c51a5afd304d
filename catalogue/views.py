"""Catalogue pages: search for everyone; offers and imports for suppliers; items for the agency."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from marshmallow import ValidationError

from catalogue import services
from catalogue.forms import ImportForm, ItemForm, LinkOfferForm, OfferForm
from catalogue.models import OfferStatus
from catalogue.prices import breaks_from_json
from catalogue.rows import COLUMNS
from catalogue.schemas import CompareArgsSchema, SearchArgsSchema
from catalogue.search import SearchQuery, search_offers
from procurement.parties.auth import page_actor, require
from procurement.core import access
from procurement.core.clock import now, to_london
from procurement.core.db import db
from procurement.core.errors import InvalidInput
from procurement.core.http import accepts_up_to, undone_if_refused
from procurement.core.webforms import apply_errors
from procurement.parties.forms import ConfirmForm

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue", template_folder="templates")


@bp.route("/")
@login_required
def search() -> Any:
    require(access.can_browse_catalogue(current_user))
    errors: dict[str, list[str]] = {}
    try:
        args = SearchArgsSchema().load({k: v for k, v in request.args.items() if v != ""})
    except ValidationError as error:
        errors = {k: v if isinstance(v, list) else [str(v)] for k, v in error.messages.items()}
        args = SearchArgsSchema().load({})
    query = SearchQuery(
        text=args["q"], cpv=(args["cpv"] or "").split("-")[0] or None, supplier_id=args["supplier_id"],
        min_price=args["min_price"], max_price=args["max_price"],
        status=OfferStatus(args["status"]) if args["status"] else None, sort=args["sort"],
        page=args["page"], per_page=args["per_page"],
    )
    results = search_offers(db.session, page_actor(), query)
    return render_template("catalogue/search.html", results=results, args=request.args, errors=errors)


@bp.route("/offers/<int:offer_id>")
@login_required
def offer(offer_id: int) -> Any:
    found = services.get_offer(db.session, page_actor(), offer_id)
    return render_template(
        "catalogue/offer.html", offer=found, breaks=breaks_from_json(found.price_breaks),
        history=services.price_history(db.session, page_actor(), offer_id),
        can_manage=access.can_manage_offers_of(current_user, found.supplier_id), withdraw_form=ConfirmForm(),
        can_withdraw=services.can_withdraw_offer(page_actor(), found),
    )


@bp.route("/my-offers")
@login_required
def my_offers() -> Any:
    supplier_id = services.own_supplier_id(page_actor())
    page = max(1, request.args.get("page", 1, type=int) or 1)
    offers, total = services.list_own_offers(db.session, page_actor(), supplier_id, page)
    return render_template("catalogue/my_offers.html", offers=offers, total=total, page=page)


def _offer_input(form: OfferForm) -> services.OfferInput:
    return services.OfferInput(
        sku=form.sku.data or "", title=form.title.data or "", cpv_code=form.cpv_code.data or "",
        unit=form.unit.data or "", list_price=form.list_price.data or "", description=form.description.data or "",
        manufacturer=form.manufacturer.data or "", manufacturer_part_number=form.manufacturer_part_number.data or "",
        gtin=form.gtin.data or "", vat_rate=form.vat_rate.data or "20", price_breaks=form.price_breaks.data or "",
        lead_time_days=form.lead_time_days.data, valid_from=form.valid_from.data, valid_to=form.valid_to.data,
        status=form.status.data or "draft",
    )


@bp.route("/my-offers/new", methods=["GET", "POST"])
@login_required
def new_offer() -> Any:
    supplier_id = services.own_supplier_id(page_actor())
    form = OfferForm()
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                created = services.create_offer(db.session, page_actor(), supplier_id, _offer_input(form))
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            flash(f"Offer {created.sku} saved", "success")
            return redirect(url_for("catalogue.offer", offer_id=created.id))
    return render_template("catalogue/offer_form.html", form=form, title="Add an offer")


@bp.route("/offers/<int:offer_id>/edit", methods=["GET", "POST"])
@login_required
def edit_offer(offer_id: int) -> Any:
    found = services.get_offer(db.session, page_actor(), offer_id)
    require(access.can_manage_offers_of(current_user, found.supplier_id))
    form = OfferForm(obj=found) if request.method == "GET" else OfferForm()
    if request.method == "GET":
        form.status.data = found.status.value
        form.list_price.data = str(found.list_price)
        form.vat_rate.data = str(found.vat_rate)
        form.price_breaks.data = "; ".join(f"{q}:{p}" for q, p in breaks_from_json(found.price_breaks))
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                services.update_offer(db.session, page_actor(), offer_id, _offer_input(form))
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            flash("Offer saved", "success")
            return redirect(url_for("catalogue.offer", offer_id=offer_id))
    return render_template("catalogue/offer_form.html", form=form, title=f"Edit offer {found.sku}")


@bp.route("/offers/<int:offer_id>/withdraw", methods=["POST"])
@login_required
def withdraw_offer(offer_id: int) -> Any:
    if ConfirmForm().validate_on_submit():
        services.withdraw_offer(db.session, page_actor(), offer_id)
        flash("Offer withdrawn", "success")
    return redirect(url_for("catalogue.offer", offer_id=offer_id))


@bp.route("/imports", methods=["GET", "POST"])
@accepts_up_to("CATALOGUE_BODY_MAX_BYTES")
@login_required
def imports() -> Any:
    supplier_id = services.own_supplier_id(page_actor())
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            with undone_if_refused():
                record = services.start_import(
                    db.session, page_actor(), supplier_id=supplier_id, filename=upload.filename or "",
                    stream=upload.stream, mode=form.mode.data,
                    max_bytes=current_app.config["CATALOGUE_IMPORT_MAX_BYTES"],
                )
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            return redirect(url_for("catalogue.import_status", import_id=record.id))
    return render_template("catalogue/imports.html", form=form, columns=COLUMNS,
                           imports=services.list_imports(db.session, page_actor(), supplier_id))


@bp.route("/imports/<int:import_id>")
@login_required
def import_status(import_id: int) -> Any:
    record = services.get_import(db.session, page_actor(), import_id)
    return render_template("catalogue/import.html", record=record, live=services.import_progress(record))


@bp.route("/imports/<int:import_id>/progress.json")
@login_required
def import_progress(import_id: int) -> Any:
    """Polled by the import page for its live status: the job row's progress, then the
    import row's result (read-only)."""
    return services.import_progress(services.get_import(db.session, page_actor(), import_id))


@bp.route("/imports/<int:import_id>/errors.csv")
@login_required
def import_errors(import_id: int) -> Any:
    report = services.import_errors_csv(db.session, page_actor(), import_id)
    return Response(report, mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=import-{import_id}-errors.csv"})


@bp.route("/template.csv")
@login_required
def template() -> Any:
    require(access.can_browse_catalogue(current_user))
    return Response(services.template_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=catalogue-template.csv"})


@bp.route("/items")
@login_required
def items() -> Any:
    return render_template("catalogue/items.html", items=services.list_items(db.session, page_actor()))


@bp.route("/items/new", methods=["GET", "POST"])
@login_required
def new_item() -> Any:
    require(access.can_curate_catalogue_items(current_user))
    form = ItemForm()
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                item = services.create_item(db.session, page_actor(), name=form.name.data, cpv_code=form.cpv_code.data,
                                            unit=form.unit.data, key_attributes=form.key_attributes.data or "")
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            flash(f"{item.name} added", "success")
            return redirect(url_for("catalogue.item", item_id=item.id))
    return render_template("catalogue/item_form.html", form=form)


@bp.route("/items/<int:item_id>")
@login_required
def item(item_id: int) -> Any:
    found = services.get_item(db.session, page_actor(), item_id)
    try:
        given = request.args.get("quantity")
        quantity, error = CompareArgsSchema().load({"quantity": given} if given else {})["quantity"], None
    except ValidationError:
        quantity, error = 1, "Enter a quantity from 1 to 10,000,000"
    today = to_london(now()).date()
    comparisons = services.compare_offers(db.session, page_actor(), item_id, quantity, today)
    return render_template("catalogue/item.html", item=found, quantity=quantity, quantity_error=error,
                           comparisons=comparisons, link_form=LinkOfferForm(), today=today)


@bp.route("/items/<int:item_id>/link", methods=["POST"])
@login_required
def link(item_id: int) -> Any:
    require(access.can_curate_catalogue_items(current_user))
    form = LinkOfferForm()
    if not form.validate_on_submit():
        flash("Enter the number of an existing offer", "error")
        return redirect(url_for("catalogue.item", item_id=item_id))
    try:
        with undone_if_refused():
            services.link_offer(db.session, page_actor(), item_id, form.offer_id.data)
    except InvalidInput as error:
        flash(error.message, "error")
    else:
        flash("Offer linked", "success")
    return redirect(url_for("catalogue.item", item_id=item_id))
