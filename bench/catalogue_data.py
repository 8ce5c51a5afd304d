"""Deterministic synthetic catalogue data for the benchmarks: offers that look like London's
IT buying (laptops, monitors, switches, licences...), with GTINs, part numbers and breaks."""
from __future__ import annotations

import csv
import random
from pathlib import Path

from catalogue.rows import COLUMN_NAMES

MAKERS = ["Dell", "HP", "Lenovo", "Cisco", "Aruba", "Iiyama", "Samsung", "Microsoft", "Avaya", "Esri", "HID",
          "Identiv", "Juniper", "Netgear", "Acer", "Asus", "Panasonic", "Fujitsu", "Zebra", "Logitech"]
NOUNS = {
    "30213100": ["laptop", "notebook", "ultrabook", "convertible laptop"],
    "30213300": ["desktop PC", "tower PC", "mini PC", "all-in-one PC"],
    "30231300": ["monitor", "display", "widescreen monitor", "curved monitor"],
    "32422000": ["network switch", "PoE switch", "core switch", "access switch"],
    "32413100": ["router", "edge router", "branch router", "VPN router"],
    "48445000": ["CRM licence", "CRM user subscription", "case management licence"],
    "48510000": ["contact centre seat", "telephony seat", "softphone licence"],
    "48326100": ["GIS licence", "mapping licence", "GIS server licence"],
    "30231320": ["self-service kiosk", "touch screen kiosk", "information kiosk"],
    "30233300": ["smart card reader", "contactless card reader", "PIV card reader"],
    "30232110": ["laser printer", "colour laser printer", "A3 printer"],
    "32552100": ["desk phone", "IP phone", "conference phone"],
}
ADJECTIVES = ["business", "rugged", "compact", "premium", "standard", "education", "enterprise", "slim",
              "fanless", "secure", "managed", "energy-efficient", "refurbished", "high-performance"]
SPECS = ["8GB", "16GB", "32GB", "256GB SSD", "512GB SSD", "1TB SSD", "24-inch", "27-inch", "48-port", "24-port",
         "Wi-Fi 6E", "USB-C", "5-year warranty", "3-year warranty", "Windows 11 Pro", "annual", "perpetual"]


def gtin13(body12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def offer_row(rng: random.Random, n: int) -> dict[str, str]:
    cpv = rng.choice(list(NOUNS))
    maker = rng.choice(MAKERS)
    noun = rng.choice(NOUNS[cpv])
    title = f"{rng.choice(ADJECTIVES)} {noun} {rng.choice(SPECS)} {rng.choice(SPECS)}"
    price = rng.randint(500, 500_000)  # pence
    breaks = ""
    if rng.random() < 0.5:
        first, second = rng.randint(5, 50), rng.randint(60, 500)
        breaks = f"{first}:{price * 95 // 100 / 100:.2f}; {second}:{price * 90 // 100 / 100:.2f}"
    return {
        "sku": f"SKU-{n:08d}", "title": title, "description": f"{maker} {noun}, {rng.choice(SPECS)}",
        "manufacturer": maker, "manufacturer_part_number": f"{maker[:3].upper()}-{n:07d}-{rng.randint(10, 99)}",
        "gtin": gtin13(f"50{n:010d}") if rng.random() < 0.4 else "", "cpv_code": cpv, "unit": "each",
        "list_price": f"{price / 100:.2f}", "vat_rate": "20", "price_breaks": breaks,
        "lead_time_days": str(rng.randint(0, 30)), "valid_from": "2026-04-01", "valid_to": "2027-03-31",
        "status": "published",
    }


def write_csv(path: Path, rows: int, seed: int = 2026) -> Path:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMN_NAMES)
        writer.writeheader()
        for n in range(rows):
            writer.writerow(offer_row(rng, n))
    return path
