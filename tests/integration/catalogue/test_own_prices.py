"""A supplier's own published price for a quantity, as the bid form shows it beside each item:
the offer named by its SKU, else its cheapest offer linked to the item, at the volume break the
quantity reaches; nothing of another supplier's."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from catalogue.services import OfferInput, create_offer, own_prices
from procurement.core.errors import PermissionDenied
from tests import factories


def test_the_volume_break_that_applies_to_the_supplier_s_own_offers(session):
    item = factories.catalogue_item(session)
    supplier = factories.user(session, "supplier")
    rival = factories.user(session, "supplier")
    mine = next(iter(supplier.supplier_ids))
    theirs = next(iter(rival.supplier_ids))
    offer = create_offer(session, factories.SYSTEM, mine, OfferInput(
        sku="OWN-1", title="Own laptop", cpv_code=item.cpv_code, unit="each", list_price="800.00",
        price_breaks="100:750.00; 500:700.00", status="published"))
    offer.catalogue_item_id = item.id
    create_offer(session, factories.SYSTEM, mine, OfferInput(
        sku="OWN-OLD", title="Old laptop", cpv_code=item.cpv_code, unit="each", list_price="500.00", status="published",
        valid_to=date.today() - timedelta(days=400)))
    cheaper = create_offer(session, factories.SYSTEM, theirs, OfferInput(
        sku="RIVAL-1", title="Rival laptop", cpv_code=item.cpv_code, unit="each", list_price="100.00", status="published"))
    cheaper.catalogue_item_id = item.id
    session.flush()
    found = own_prices(session, supplier, [(item.id, "", D("150")), (item.id, "", D("20")), (None, "OWN-1", D("600")),
                                           (None, "RIVAL-1", D("1")), (None, "OWN-OLD", D("1")), (None, "", D("1"))],
                       date.today())
    assert (found[0].sku, found[0].unit_price, found[0].break_from) == ("OWN-1", D("750.00"), 100)
    assert (found[1].unit_price, found[1].break_from) == (D("800.00"), None)  # the list price below the first break
    assert found[2].unit_price == D("700.00")
    assert found[3] is None  # another supplier's offer is not its own
    assert found[4].unit_price is None and found[4].unavailable == "no price valid today"
    assert found[5] is None
    with pytest.raises(PermissionDenied):
        own_prices(session, factories.user(session, "buyer"), [(item.id, "", D("1"))], date.today())
