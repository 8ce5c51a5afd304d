"""The whole service as its users meet it, in Chromium, on a live server whose jobs run on a
real RQ worker process and a real SMTP server: a new supplier registers, confirms its address by
the emailed link and chooses its alerts; three boroughs raise requirements; the agency pools them
into a joint tender and publishes it, and the new supplier is emailed of it; a supplier's question
is answered to all; four suppliers bid (by the form, by a CSV price schedule, by the API), each
emailed its receipt; the deadline passes; two agency users open the box;
two evaluators mark; the award is approved and published; standstill passes; contracts and
orders are entered and the documents made; each borough sees its order and saving and downloads
its savings report; each supplier sees its own assessment letter and no one else's, and the new
supplier is emailed and shown its result.

Every page a person lands on is checked by axe-core (WCAG 2.2 AA). The clock is the test's:
the journey starts at 09:00 on Monday 1 February 2027 and moves as a real tender would."""
from __future__ import annotations

import csv
import io
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import pytest
from pypdf import PdfReader

from procurement.core.clock import LONDON
from tests.browser.conftest import PASSWORD, SCREENSHOTS, Journey, axe_violations

DOMAIN = "demo.londonconnects.example"
BUYERS = {  # who raises what: (organisation, quantity, what each pays today per tablet)
    "buyer.camden": ("London Borough of Camden", 40, "520.00"),
    "buyer.hackney": ("London Borough of Hackney", 60, "540.00"),
    "buyer.croydon": ("London Borough of Croydon", 25, "499.00"),
}
SUPPLIERS = {  # what each bids per tablet, and how
    "supplier.thames": ("Thames Digital Hardware Ltd", "455.00", "form"),
    "supplier.capnet": ("Capital Network Systems Ltd", "470.00", "csv"),
    "supplier.crm": ("Borough CRM Solutions Ltd", "449.00", "api"),
    "supplier.riverside": ("Riverside Rugged Devices Ltd", "510.00", "form"),  # signs up in the journey
}
NEWCOMER, NEWCOMER_EMAIL, NEWCOMER_PASSWORD = "supplier.riverside", "bids@riverside-rugged.example", "tidal marble orchestra"
CRITERIA = ["Delivery and support", "Social value"]
WINNING_PRICE = "455.00"  # Thames: the best quality, at a close price
MARKS = {"supplier.thames": (4, 4), "supplier.capnet": (3, 3), "supplier.crm": (2, 3), "supplier.riverside": (2, 2)}  # delivery, social value
NEEDED_BY = date(2027, 6, 30)
TITLE = "Joint rugged tablets for field staff"
LOT = "Rugged tablets, 10-inch, 4G"
DEADLINE = datetime(2027, 3, 8, 12, 0, tzinfo=LONDON)


@dataclass
class Person:
    """One user in a browser context of their own, signed in; every page they land on is
    checked by axe-core and any error summary fails the journey at once."""
    email: str
    page: Any
    base: str
    found: dict[str, list[str]]
    checked: set[str]

    def goto(self, path: str) -> str:
        from playwright.sync_api import Error as PlaywrightError

        for attempt in range(3):
            try:
                response = self.page.goto(self.base + path)
                break
            except PlaywrightError as error:
                # A page following a job live reloads itself when the job is done; a navigation
                # begun at that moment is aborted by the reload. Go again, as a person would.
                if "ERR_ABORTED" not in str(error) or attempt == 2:
                    raise
        assert response is not None and response.status == 200, (self.email, path, response and response.status)
        self.check()
        return self.page.content()

    def press(self, button: Any) -> str:
        """Press a button that submits a form; the page it lands on has no error."""
        with self.page.expect_navigation():
            button.click()
        content = self.page.content()
        problem = self.page.locator(".govuk-error-summary, .govuk-notification-banner--error")
        assert problem.count() == 0, f"{self.email} at {self.page.url}: {problem.first.inner_text()}"
        self.check()
        return content

    def goto_until(self, path: str, link: re.Pattern[str], seconds: float = 90) -> Any:
        """Open the page again, as a person would, until the worker's document is listed on it."""
        deadline = time.monotonic() + seconds
        while True:
            self.goto(path)
            found = self.page.get_by_role("link", name=link)
            if found.count() or time.monotonic() > deadline:
                return found
            self.page.wait_for_timeout(1000)

    def press_link(self, name: str) -> str:
        """Follow a link by its words; the page it lands on has no error."""
        return self.press(self.page.get_by_role("link", name=name, exact=True))

    def button(self, name: str) -> Any:
        return self.page.get_by_role("button", name=name, exact=True)

    def check(self) -> None:
        where = f"{self.email.split('@')[0]} {self.page.url.removeprefix(self.base)}"
        self.checked.add(where)
        violations = axe_violations(self.page)
        if violations:
            self.found[where] = violations


@dataclass
class Cast:
    journey: Journey
    browser: Any
    found: dict[str, list[str]] = field(default_factory=dict)
    checked: set[str] = field(default_factory=set)
    people: dict[str, Person] = field(default_factory=dict)
    robots: list[Any] = field(default_factory=list)

    def api_robot(self, supplier: Person) -> Any:
        """The supplier makes an API token in its account and gives it to its program: a
        request context that sends the token (and no browser cookie)."""
        supplier.goto("/account/tokens")
        supplier.page.get_by_label("Name of the token").fill("Bid robot")
        supplier.press(supplier.button("Create token"))
        token = supplier.page.locator("#new-token").inner_text().strip()
        robot = self.browser.new_context(base_url=self.journey.url, extra_http_headers={"Authorization": f"Bearer {token}"})
        self.robots.append(robot)
        return robot

    def __call__(self, who: str) -> Person:
        """The person, signed in (once) in a browser of their own."""
        if who not in self.people:
            page = self.browser.new_context().new_page()
            person = Person(f"{who}@{DOMAIN}", page, self.journey.url, self.found, self.checked)
            person.goto("/sign-in")
            page.get_by_label("Email address").fill(person.email)
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            person.press(person.button("Sign in"))
            self.people[who] = person
        return self.people[who]


@pytest.fixture()
def cast(journey: Journey, chromium: Any, request: pytest.FixtureRequest) -> Iterator[Cast]:
    made = Cast(journey, chromium)
    yield made
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(exist_ok=True)
        for who, person in made.people.items():
            person.page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}-{who}.png"), full_page=True)
        print("The worker said:\n" + journey.worker_said())
    for context in [person.page.context for person in made.people.values()] + made.robots:
        context.close()


def fill_date(page: Any, name: str, day: date) -> None:
    page.locator(f"#{name}-day").fill(str(day.day))
    page.locator(f"#{name}-month").fill(str(day.month))
    page.locator(f"#{name}-year").fill(str(day.year))


def pdf_text(data: bytes) -> str:
    """A PDF's text, with line breaks and runs of spaces as one space."""
    assert data.startswith(b"%PDF-"), data[:20]
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def download(person: Person, link: Any) -> str:
    """Follow a document link as the person would; the PDF's text."""
    with person.page.expect_download() as waiting:
        link.click()
    # A document's link reads as the name it downloads under: one a person would keep.
    assert waiting.value.suggested_filename == link.inner_text().strip(), waiting.value.suggested_filename
    return pdf_text(Path(waiting.value.path()).read_bytes())


def test_a_joint_tender_from_requirements_to_orders_documents_and_savings(cast: Cast):
    a_supplier_registers_and_chooses_its_alerts(cast)
    raise_requirements(cast)
    tender = pool_and_publish(cast)
    the_new_supplier_is_told_of_the_opportunity(cast, tender)
    answer_a_question_to_all(cast, tender)
    bid_by_form_csv_and_api(cast, tender)
    open_the_box_after_the_deadline(cast, tender)
    evaluate_and_publish_the_decision(cast, tender)
    the_new_supplier_is_told_its_result(cast, tender)
    each_supplier_gets_its_own_letter(cast, tender)
    enter_contracts_after_standstill(cast, tender)
    each_borough_sees_its_order_and_savings(cast, tender)
    assert len(cast.checked) >= 40, sorted(cast.checked)
    assert cast.found == {}, cast.found


@dataclass
class Tender:
    id: int
    reference: str
    receipts: dict[str, str] = field(default_factory=dict)
    robot: Any = None  # Borough CRM's program, with its API token
    standstill_ends: date | None = None

    @property
    def path(self) -> str:
        return f"/tenders/{self.id}"


def emailed_path(message: Any) -> str:
    """The link in an email, as a path on the service (its host is SERVICE_URL's)."""
    found = re.search(r"https?://[^/\s]+(/\S*)", message.part("plain"))
    assert found, message.part("plain")
    return found.group(1)


def a_supplier_registers_and_chooses_its_alerts(cast: Cast) -> None:
    """A supplier new to the service registers its company, follows the link emailed to it,
    signs in, and chooses to hear of portable computers anywhere in London."""
    page = cast.browser.new_context().new_page()
    newcomer = Person(NEWCOMER_EMAIL, page, cast.journey.url, cast.found, cast.checked)
    newcomer.goto("/join")
    newcomer.press(newcomer.button("Register your company"))  # a start button: a link styled as one
    page.fill("#legal_name", SUPPLIERS[NEWCOMER][0])
    page.fill("#companies_house_number", "09876543")
    page.fill("#postal_address", "4 Wharf Road, London E14 9GE")
    page.get_by_role("group", name=re.compile("small or medium-sized enterprise")).get_by_label("Yes").check()
    page.get_by_role("group", name=re.compile("voluntary, community or social enterprise")).get_by_label("No").check()
    page.fill("#cpv_codes", "30213000")  # portable computers: covers the tablets' 30213200
    page.fill("#full_name", "Rhiannon Rivers")
    page.fill("#email", NEWCOMER_EMAIL)
    page.fill("#password", NEWCOMER_PASSWORD)
    assert "Check your email" in newcomer.press(newcomer.button("Register your company"))
    [confirm] = cast.journey.emails_to(NEWCOMER_EMAIL, "Confirm your email address")
    newcomer.goto(emailed_path(confirm))
    assert "Email address confirmed" in newcomer.press(newcomer.button("Confirm"))
    newcomer.goto("/sign-in")
    page.fill("#email", NEWCOMER_EMAIL)
    page.fill("#password", NEWCOMER_PASSWORD)
    newcomer.press(newcomer.button("Sign in"))
    alerts = newcomer.goto("/supplier/alerts")
    assert page.input_value("#cpv_codes") == "30213000", alerts
    # Before it can bid it declares the exclusion grounds (issue 21): none applies.
    newcomer.goto("/supplier/declaration")
    newcomer.press(newcomer.button("Make your declaration"))
    for radio in page.locator("input[type=radio][value=no]").all():
        radio.check()
    assert "Check your answers" in newcomer.press(newcomer.button("Continue to check your answers"))
    assert "counts for every tender for a year" in newcomer.press(newcomer.button("Declare"))
    cast.people[NEWCOMER] = newcomer


def the_new_supplier_is_told_of_the_opportunity(cast: Cast, tender: Tender) -> None:
    """Published: the new supplier, whose alerts cover it, is emailed once with the link, and
    the notification is on its home page and its notifications page."""
    newcomer = cast(NEWCOMER)
    [alert] = cast.journey.emails_to(NEWCOMER_EMAIL, f"New opportunity: {TITLE}")
    assert emailed_path(alert) == f"/opportunities/{tender.id}" and f"/opportunities/{tender.id}</a>" in alert.part("html")
    home = newcomer.goto("/")
    assert f"New opportunity: {TITLE}" in home
    newcomer.goto("/notifications")
    told = newcomer.page.locator("li.app-notification", has_text=f"New opportunity: {TITLE}")
    opened = newcomer.press(told.get_by_role("button", name=re.compile("^Open and mark as read")))
    assert newcomer.page.url.endswith(f"/opportunities/{tender.id}") and LOT in opened
    for who in ("supplier.thames", "supplier.capnet", "supplier.crm"):  # the demo's interests cover it too
        assert len(cast.journey.emails_to(f"{who}@{DOMAIN}", f"New opportunity: {TITLE}")) == 1, who


def the_new_supplier_is_told_its_result(cast: Cast, tender: Tender) -> None:
    """The decision is published: the new supplier is emailed (always: the law requires it) its
    own result with the end of standstill, and nothing of another bidder's price."""
    [receipt] = cast.journey.emails_to(NEWCOMER_EMAIL, f"Bid received: {TITLE}")
    assert emailed_path(receipt).startswith(f"/opportunities/{tender.id}/receipts/")
    [decision] = cast.journey.emails_to(NEWCOMER_EMAIL, f"Award decision published: {TITLE}")
    text = " ".join(decision.part("plain").split())
    assert "19 March 2027" in text and emailed_path(decision) == f"/opportunities/{tender.id}/results", text
    assert not any(price in text for _name, price, _how in SUPPLIERS.values() if price != SUPPLIERS[NEWCOMER][1])
    assert all(name not in text for name, _p, _h in SUPPLIERS.values() if name != SUPPLIERS[NEWCOMER][0])
    newcomer = cast(NEWCOMER)
    assert f"Award decision published: {TITLE}" in newcomer.goto("/notifications")


def raise_requirements(cast: Cast) -> None:
    """(a) Three boroughs raise their requirements by the form."""
    for who, (_organisation, quantity, paid) in BUYERS.items():
        buyer = cast(who)
        buyer.goto("/requirements/new")
        page = buyer.page
        page.get_by_label("Short title").fill("Rugged tablets for field staff")
        page.get_by_label("CPV code").fill("30213200")
        page.get_by_label("Specification").fill("10-inch rugged tablet, IP65, 4G, 3-year warranty")
        page.get_by_label("Quantity").fill(str(quantity))
        page.get_by_label("Unit", exact=True).fill("each")
        page.get_by_label("Delivery location").fill(f"{who.split('.')[1].title()} civic centre")
        fill_date(page, "needed_by", NEEDED_BY)
        page.get_by_label(re.compile("What you pay today")).fill(paid)
        landed = buyer.press(buyer.button("Save requirement"))
        assert "Rugged tablets for field staff" in landed and "submitted" in landed


def pool_and_publish(cast: Cast) -> Tender:
    """(b) The agency pools the three lines into a draft; each buyer confirms its own line (and
    sees no other's); the agency completes the tender and publishes it."""
    lead = cast("agency.lead")
    board = lead.goto(f"/demand?depth=category&needed_from={NEEDED_BY}&needed_to={NEEDED_BY}&min_organisations=3")
    pools = lead.page.locator("input[name=pool]")
    assert pools.count() == 1, board
    assert "125 each" in lead.page.locator(".govuk-summary-card").first.inner_text()
    pools.first.check()
    lead.page.get_by_label("Tender title").fill(TITLE)
    lead.page.get_by_label("Description").fill("Rugged tablets for housing, highways and social-care field staff.")
    fill_date(lead.page, "confirm_by", date(2027, 2, 8))
    landed = lead.press(lead.button("Form a draft tender from the chosen pools"))
    assert "Draft tender" in landed and "formed" in landed
    caption = lead.page.locator("main .govuk-caption-l").first.inner_text()
    tender = Tender(int(lead.page.url.rstrip("/").rsplit("/", 1)[1]), caption.split(" · ")[0])
    assert re.fullmatch(r"LC-2027-\d{4}", tender.reference), caption  # numbered in its year, after the demo's

    for who in BUYERS:
        buyer = cast(who)
        page = buyer.goto(tender.path)
        assert page.count("Confirm<span") == 1, who
        for other, (organisation, _q, _p) in BUYERS.items():
            assert (organisation in buyer.page.locator("main").inner_text()) == (other == who)
        buyer.press(buyer.page.get_by_role("button", name=re.compile(r"^Confirm")))
        # Confirming its line shapes the procurement (s.81): the buyer's home asks for a declaration.
        buyer.goto("/")
        buyer.press_link(f"Declare conflicts for {tender.reference}")
        buyer.page.get_by_label("No, I have no conflict of interest").check()
        buyer.press(buyer.button("Make the declaration"))

    # The draft's task list: each task on a page of its own, publish last.
    lead.goto(tender.path)
    assert "Next: the agency closes the buyers' confirmation (every line is answered)" in lead.page.inner_text("main")
    lead.press(lead.page.get_by_role("link", name="Buyers' confirmation of their lines"))
    lead.press(lead.page.get_by_role("button", name="Close the confirmation"))
    lead.press(lead.button("Close the confirmation and drop unanswered lines"))
    page = lead.page
    lead.press(page.get_by_role("link", name="Details and timeline"))
    fill_date(page, "clarification_date", date(2027, 3, 1))
    fill_date(page, "deadline_date", DEADLINE.date())
    page.locator("#deadline_time").fill("12:00")
    lead.press(lead.button("Save the details"))
    lead.press(page.get_by_role("link", name="Lots", exact=True))
    page.get_by_label("Lot 1 title (as suppliers see it)").fill(LOT)
    page.locator("#lot-value-1").fill("60000")
    lead.press(lead.button("Save the lots"))
    lead.press(page.get_by_role("link", name="Quality criteria and weights"))
    for n, (name, weight) in enumerate(zip(CRITERIA, ["25", "15"]), start=1):
        page.locator(f"#crit-{n}-name").fill(name)
        page.locator(f"#crit-{n}-weight").fill(weight)
        page.locator(f"#crit-{n}-descriptors").fill("\n".join(f"{name}: mark {m}" for m in range(6)))
    page.locator("#crit-1-pass").fill("2")
    lead.press(lead.button("Save the criteria"))
    lead.press(page.get_by_role("link", name="Tender documents"))
    page.get_by_label("File").set_input_files(files=[{"name": "specification.pdf", "mimeType": "application/pdf",
                                                     "buffer": b"%PDF-1.4\n% rugged tablet specification\n%%EOF\n"}])
    lead.press(lead.button("Add the document"))
    # Conflicts of interest (ss.81-83): the lead declares, then records the assessment of every declaration.
    lead.goto(tender.path)
    lead.press_link("Declare any conflict of interest")
    page.get_by_label("No, I have no conflict of interest").check()
    landed = lead.press(lead.button("Make the declaration"))
    assert "Not yet declared" not in landed and "No conflicts assessment is recorded yet" in landed
    page.get_by_label("Summary of the assessment").fill("Nobody who shaped the tender declared a conflict of interest.")
    landed = lead.press(lead.button("Record the assessment"))
    assert "The conflicts assessment is current" in landed
    lead.goto(tender.path)
    lead.press(page.get_by_role("link", name="Check and publish"))
    landed = lead.press(lead.button("Publish the tender"))
    assert f"{tender.reference} · Open for bids" in landed
    return tender


def answer_a_question_to_all(cast: Cast, tender: Tender) -> None:
    cast.journey.clock.set(datetime(2027, 2, 3, 10, 0, tzinfo=LONDON))
    asker = cast("supplier.capnet")
    asker.goto(f"/opportunities/{tender.id}")
    asker.page.get_by_label("Your question").fill("Must the tablets come with a vehicle dock?")
    asker.press(asker.button("Ask"))
    lead = cast("agency.lead")
    lead.goto(tender.path)
    lead.page.get_by_label(re.compile("^Answer")).fill("No dock is needed; a hand strap is.")
    lead.press(lead.button("Publish the answer"))
    for who in SUPPLIERS:
        seen = cast(who).goto(f"/opportunities/{tender.id}")
        assert "No dock is needed; a hand strap is." in seen and f"Lot 1: {LOT}" in seen, who


def bid_by_form_csv_and_api(cast: Cast, tender: Tender) -> None:
    """Thames bids by the form, Capital Network by filling in the price schedule CSV, Borough
    CRM by its program through the API, Riverside by the form; the box then holds four sealed
    bids, not yet to open."""
    cast.journey.clock.set(datetime(2027, 2, 15, 14, 0, tzinfo=LONDON))
    for who, (_supplier, price, how) in SUPPLIERS.items():
        supplier = cast(who)
        if how == "api":
            tender.robot = cast.api_robot(supplier)
            tender.receipts[who] = bid_by_api(tender.robot, tender.id, price)
            continue
        supplier.goto(f"/opportunities/{tender.id}/bid")
        page = supplier.page
        if how == "csv":
            page.get_by_text("Upload a price schedule (CSV) instead").click()
            page.get_by_label("Price schedule (CSV)").set_input_files(files=[{
                "name": "schedule.csv", "mimeType": "text/csv", "buffer": filled_schedule(supplier, tender, price)}])
            supplier.press(supplier.button("Upload into my draft"))
            assert page.locator("#price-1-1").input_value() == price
        else:
            page.locator("#price-1-1").fill(price)
        for answer in page.locator("textarea[id^='quality-']").all():
            answer.fill(f"{who}: next-day swap-out across London; apprenticeships in our depot.")
        review = supplier.press(supplier.button("Continue to check your answers"))
        assert "Check your bid before you submit it" in review and f"£{price} each" in review  # every answer, to check
        landed = supplier.press(supplier.button("Submit my bid"))
        assert "/receipts/" in page.url and "SHA-256" in landed and f"£{price} each" in landed  # what was submitted
        tender.receipts[who] = page.locator("code").first.inner_text()
    lead = cast("agency.lead")
    box = lead.goto(tender.path)
    assert all(digest in box for digest in tender.receipts.values())
    assert lead.page.get_by_role("button", name="Request opening").count() == 0


def filled_schedule(supplier: Person, tender: Tender, price: str) -> bytes:
    """The tender's price schedule as downloaded, with the supplier's price and capacity."""
    schedule = supplier.page.request.get(f"{supplier.base}/opportunities/{tender.id}/schedule.csv").text()
    rows = list(csv.DictReader(io.StringIO(schedule)))
    assert len(rows) == 1 and rows[0]["quantity"] == "125", schedule
    rows[0].update(unit_price=price, capacity="300")
    filled = io.StringIO()
    writer = csv.DictWriter(filled, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return filled.getvalue().encode()


def open_the_box_after_the_deadline(cast: Cast, tender: Tender) -> None:
    """The deadline passes: no more bids, by page or API; two agency users open the box."""
    cast.journey.clock.set(DEADLINE + timedelta(minutes=30))
    late = cast("supplier.thames")
    assert "The deadline has passed" in late.goto(f"/opportunities/{tender.id}/bid")
    assert late.page.locator("button[name='action']").count() == 0
    refused = tender.robot.request.post(f"/api/v1/opportunities/{tender.id}/bid/submit", data=api_bid("399.00"))
    assert refused.status == 409 and "deadline for bids was" in refused.json()["message"]
    lead = cast("agency.lead")
    lead.goto(tender.path)
    lead.press(lead.button("Request opening"))
    evaluator = cast("agency.evaluator")
    evaluator.goto(tender.path)
    evaluator.press(evaluator.button("Confirm the opening"))
    assert evaluator.goto(f"/tenders/{tender.id}/opened").count("digest checked") == len(SUPPLIERS)


def evaluate_and_publish_the_decision(cast: Cast, tender: Tender) -> None:
    """Two evaluators declare and mark; the lead moderates and recommends; the second agency
    user approves; the lead publishes the decision and standstill starts."""
    cast.journey.clock.set(DEADLINE + timedelta(days=1))
    lead, evaluator = cast("agency.lead"), cast("agency.evaluator")
    workspace = f"/tenders/{tender.id}/evaluation"
    lead.goto(workspace)
    for name in ("Alex Agency", "Sam Evaluator"):
        lead.page.get_by_label(name).check()
    lead.page.get_by_label("Lead evaluator").select_option(label="Alex Agency")
    lead.press(lead.button("Start the evaluation"))
    for person in (evaluator, lead):
        person.goto(workspace)
        person.press(person.button("Declare and see the responses"))
        enter_marks(person, "Mark (0 to 5) for", "Justification", "Seen in the response")
        person.press(person.button("Save and submit my marks"))
    lead.goto(workspace)
    enter_marks(lead, "Consensus mark (0 to 5) for", "Rationale", "The panel agreed")
    lead.press(lead.button("Record the moderated scores"))
    lead.page.locator("textarea[name=advantages]").fill("The best delivery and support at a close price.")
    lead.press(lead.page.get_by_role("button", name=re.compile("^Recommend ")))
    evaluator.goto(workspace)
    evaluator.press(evaluator.button("Approve the recommendation"))
    lead.goto(workspace)
    lead.press(lead.button("Publish the decision to the bidders and start standstill"))
    ends = re.search(r"to the end of (\d{1,2} \w+ \d{4})", lead.page.locator("main").inner_text())
    assert ends and ends.group(1) == "19 March 2027", \
        "8 working days beginning with Tuesday 9 March; St Patrick's Day (Wednesday 17) not counted"
    tender.standstill_ends = datetime.strptime(ends.group(1), "%d %B %Y").date()


def each_supplier_gets_its_own_letter(cast: Cast, tender: Tender) -> None:
    """The worker makes an assessment summary for each bidder; each sees its own, not the others'."""
    letters = {}
    for who, (supplier_name, _price, _how) in SUPPLIERS.items():
        supplier = cast(who)
        link = supplier.goto_until(f"/opportunities/{tender.id}/results",
                                   re.compile(f"^Assessment summary - .+ - {re.escape(tender.reference)}\\.pdf$"))
        assert link.count() == 1, (who, cast.journey.worker_said())
        letters[who] = link.get_attribute("href")
        assert f"Assessment summary: {tender.reference}, {supplier_name}" in download(supplier, link)
    for who in SUPPLIERS:
        for other, href in letters.items():
            status = cast(who).page.request.get(cast.journey.url + href).status
            assert (status == 200) == (other == who), (who, other, status)


def enter_contracts_after_standstill(cast: Cast, tender: Tender) -> None:
    """No contract during standstill; once it has passed on the test's clock, the contracts and
    orders are entered and the worker completes the award pack."""
    assert tender.standstill_ends is not None
    lead = cast("agency.lead")
    workspace = f"/tenders/{tender.id}/evaluation"
    cast.journey.clock.set(datetime.combine(tender.standstill_ends, datetime.min.time().replace(hour=17), LONDON))
    lead.goto(workspace)
    assert lead.page.get_by_role("button", name="Enter the contracts and make the orders").count() == 0
    assert f"Standstill runs until the end of {tender.standstill_ends:%-d %B %Y}: no contract before then" \
        in lead.page.locator("main").inner_text()
    lead.check()
    cast.journey.clock.set(datetime.combine(tender.standstill_ends + timedelta(days=1),
                                            datetime.min.time().replace(hour=10), LONDON))
    lead.goto(workspace)
    landed = lead.press(lead.button("Enter the contracts and make the orders"))
    assert "Orders and savings" in landed
    notice = lead.goto_until(workspace, re.compile(f"^Contract award notice - .+ - {re.escape(tender.reference)}\\.pdf$"))
    assert notice.count() == 1, cast.journey.worker_said()
    pack = "\n".join(lead.page.locator("main .app-documents > li > a").all_inner_texts())
    assert pack.count("Assessment summary") == len(SUPPLIERS) and pack.count("Order summary") == 3 and "Award decision notice" in pack
    assert "Thames Digital Hardware Ltd" in download(lead, notice)


def each_borough_sees_its_order_and_savings(cast: Cast, tender: Tender) -> None:
    """(c) Each borough sees its own order and saving (no other's), downloads its order summary,
    and asks for its savings report as a PDF, which the worker makes while the page follows it."""
    for who, (organisation, quantity, paid) in BUYERS.items():
        buyer = cast(who)
        cost, before = Decimal(WINNING_PRICE) * quantity, Decimal(paid) * quantity
        summary = buyer.goto_until("/awards", re.compile(f"^Order summary - .+ - {re.escape(tender.reference)}\\.pdf$"))
        assert summary.count() == 1, who
        row = buyer.page.locator("tbody tr").filter(has_text=tender.reference).first.inner_text()
        assert all(pounds(v) in row for v in (cost, before, before - cost)), row
        content = buyer.page.content()
        assert all(other == organisation or other not in content for other, _q, _p in BUYERS.values())
        text = download(buyer, summary)
        assert organisation in text and f"{quantity} {WINNING_PRICE} {cost:,.2f} {before:,.2f} {before - cost:,.2f}" in text, text
        report_page = buyer.goto("/reports/savings")  # a buyer's own organisation's savings
        assert f"Savings: {organisation}" in report_page and pounds(before - cost) in report_page
        buyer.press(buyer.button("Make this report as a PDF"))
        report = buyer.page.locator("main .app-documents a[href^='/documents/']")
        report.first.wait_for(timeout=90_000)  # the page follows the job live and reloads when it is done
        buyer.check()
        text = download(buyer, report.first)
        assert organisation in text and tender.reference in text and pounds(before - cost) in text, text


def pounds(amount: Decimal) -> str:
    return f"£{amount:,.2f}"


def enter_marks(person: Person, mark: str, why: str, reason: str) -> None:
    """Each response's marks, found by their labels: the supplier and the criterion."""
    for who, (supplier_name, _price, _how) in SUPPLIERS.items():
        for criterion, score in zip(CRITERIA, MARKS[who]):
            person.page.get_by_label(f"{mark} {supplier_name}, {criterion}", exact=True).fill(str(score))
            person.page.get_by_label(f"{why} for {supplier_name}, {criterion}", exact=True).fill(reason)


def api_bid(price: str) -> dict[str, Any]:
    return {"lots": [{"lot": 1, "items": [{"item": 1, "unit_price": price, "capacity": "500"}]}],
            "quality": [{"criterion": 1, "text": "Next-day swap-out from our Croydon depot."},
                        {"criterion": 2, "text": "Two apprenticeships a year in London."}]}


def bid_by_api(robot: Any, tender_id: int, price: str) -> str:
    """The program saves a draft and submits it: the receipt's digest."""
    draft = robot.request.put(f"/api/v1/opportunities/{tender_id}/bid/draft", data=api_bid(price))
    assert draft.status == 200, draft.text()
    receipt = robot.request.post(f"/api/v1/opportunities/{tender_id}/bid/submit")
    assert receipt.status == 201, receipt.text()
    return receipt.json()["digest"]
