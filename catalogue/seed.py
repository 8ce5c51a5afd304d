"""Demo catalogues: the kit London's boroughs buy, from several suppliers, with price breaks."""
from __future__ import annotations


from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import CatalogueItem, Offer
from catalogue.services import OfferInput, create_item, create_offer, link_offer
from procurement.core.access import SystemActor
from suppliers.models import Supplier


def gtin13(body12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


ITEMS = [
    ("Business laptop, 14-inch", "30213100", "each", "14-inch laptop, 16 GB RAM, 512 GB SSD, Windows 11 Pro"),
    ("Desktop PC, small form factor", "30213300", "each", "Small form factor, 16 GB RAM, 512 GB SSD"),
    ("Monitor, 24-inch", "30231300", "each", "24-inch IPS, 1920x1080, height-adjustable, USB-C"),
    ("Network switch, 48-port", "32422000", "each", "48 x 1 GbE PoE+, 4 x 10 GbE SFP+, managed"),
    ("CRM user licence", "48445000", "user per year", "Named-user CRM licence, case management, hosted in the UK"),
    ("Contact-centre telephony seat", "48510000", "seat per year", "Cloud contact-centre agent seat with call recording"),
    ("GIS desktop licence", "48326100", "licence per year", "Desktop GIS with OS MasterMap and NLPG support"),
    ("Self-service kiosk", "30231320", "each", "Freestanding 22-inch touch-screen kiosk, card and receipt printer"),
    ("Smart-card reader", "30233300", "each", "USB contact smart-card reader, ISO 7816"),
]

# (supplier legal name, sku, item index, title, manufacturer, part number, list price, breaks, lead days)
OFFERS = [
    ("Thames Digital Hardware Ltd", "TDH-LAP-14", 0, "Latitude 14 business laptop, 16GB, 512GB SSD", "Dell", "LAT-5450-U5",
     "812.50", "25:789.00; 100:755.00; 500:729.00", 10),
    ("Metro Display Technologies Ltd", "MDT-NB14-PRO", 0, "ProBook 14 G11 laptop, 16GB RAM, 512GB", "HP", "A23B7EA",
     "829.00", "50:779.00; 250:742.00; 1000:715.00", 15),
    ("Lambeth Refurbished Computers (Social Enterprise) Ltd", "LRC-REFURB-T14", 0,
     "Refurbished ThinkPad T14 laptop, 16GB, 512GB, 2-year warranty", "Lenovo", "20W0-R", "389.00", "20:369.00; 100:349.00", 5),
    ("Thames Digital Hardware Ltd", "TDH-SFF-PC", 1, "OptiPlex small form factor desktop, 16GB, 512GB", "Dell", "OPT-7020-SFF",
     "649.00", "25:629.00; 100:599.00", 10),
    ("Metro Display Technologies Ltd", "MDT-ELITE-SFF", 1, "EliteDesk 800 SFF desktop, 16GB, 512GB", "HP", "99P13ET",
     "672.00", "50:640.00; 200:611.00", 12),
    ("Metro Display Technologies Ltd", "MDT-MON-24", 2, "24-inch USB-C monitor, height adjustable", "Iiyama", "XUB2492HSU-B6",
     "139.00", "50:129.00; 200:119.50; 1000:112.00", 7),
    ("Thames Digital Hardware Ltd", "TDH-P2425H", 2, "P2425H 24-inch monitor", "Dell", "P2425H", "149.00", "100:133.00", 10),
    ("Capital Network Systems Ltd", "CNS-SW48-POE", 3, "48-port PoE+ managed switch, 4x SFP+", "Cisco", "C9200L-48P-4X-E",
     "3450.00", "10:3290.00; 50:3120.00", 20),
    ("Capital Network Systems Ltd", "CNS-ARUBA-6100", 3, "Aruba 6100 48G PoE+ 4SFP+ switch", "HPE Aruba", "JL675A",
     "2190.00", "10:2090.00; 40:1985.00", 15),
    ("Borough CRM Solutions Ltd", "BCS-CRM-USER", 4, "Borough CRM named user licence (annual)", "Borough CRM", "BCRM-NU-1Y",
     "240.00", "100:215.00; 500:190.00; 2000:170.00", 0),
    ("Southside Community IT CIC", "SCI-CRM-LITE", 4, "Community CRM user licence for councils (annual)", "CiviCRM partner",
     "CIVI-GOV-1Y", "95.00", "50:85.00; 250:78.00", 0),
    ("CallPoint Telephony plc", "CPT-SEAT-STD", 5, "Cloud contact-centre agent seat, call recording", "CallPoint", "CP-CC-AGENT",
     "396.00", "50:372.00; 200:348.00; 1000:320.00", 5),
    ("GeoLondon Mapping Ltd", "GLM-GIS-DESK", 6, "GIS desktop licence with MasterMap and NLPG tools", "GeoLondon", "GL-DESK-1Y",
     "1150.00", "10:1075.00; 50:990.00", 2),
    ("Kiosk & Access Ltd", "KAL-KIOSK-22", 7, "22-inch freestanding self-service kiosk with card reader and printer", "Kiosk & Access",
     "KA-FS22-CP", "4250.00", "5:4090.00; 20:3890.00", 30),
    ("SecureCard Identity Ltd", "SCI-RDR-USB", 8, "USB smart-card reader, ISO 7816", "Identiv", "905127-1",
     "18.50", "100:15.90; 1000:13.75", 5),
    ("Kiosk & Access Ltd", "KAL-SCR-USB", 8, "Contact smart-card reader, USB-A", "HID OMNIKEY", "R31210320-01",
     "21.00", "200:17.40; 1000:14.90", 10),
]


def seed_catalogue(session: Session) -> dict[str, int]:
    actor = SystemActor("seed-demo")
    added = {"catalogue_items": 0, "offers": 0}
    items: list[CatalogueItem] = []
    for name, cpv, unit, attributes in ITEMS:
        item = session.scalar(select(CatalogueItem).where(CatalogueItem.name == name))
        if item is None:
            item = create_item(session, actor, name=name, cpv_code=cpv, unit=unit, key_attributes=attributes)
            added["catalogue_items"] += 1
        items.append(item)
    suppliers = {s.legal_name: s.id for s in session.scalars(select(Supplier))}
    for n, (supplier, sku, item_index, title, maker, part, price, breaks, lead) in enumerate(OFFERS):
        supplier_id = suppliers[supplier]
        if session.scalar(select(Offer.id).where(Offer.supplier_id == supplier_id, Offer.sku == sku)):
            continue
        item = items[item_index]
        offer = create_offer(session, actor, supplier_id, OfferInput(
            sku=sku, title=title, cpv_code=item.cpv_code, unit=item.unit, list_price=price, manufacturer=maker,
            manufacturer_part_number=part, gtin=gtin13(f"50{n + 1:010d}") if item.unit == "each" else "",
            price_breaks=breaks, lead_time_days=lead, status="published",
            description=item.key_attributes,
        ))
        link_offer(session, actor, item.id, offer.id)
        added["offers"] += 1
    return added
