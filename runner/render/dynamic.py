"""Postman's dynamic variables as template helpers: ``{{$guid}}`` is ``<< guid() >>``.

Every name is Postman's without the ``$`` (``$randomEmail`` -> ``randomEmail()``), so an
imported collection reads the same and a Postman user finds the names they know. Each call
gives a new value, as each ``{{$...}}`` does in Postman. The values are test data, not
secrets: names, addresses and words come from Faker (imported on the first call that needs
it, so start-up does not pay for it); numbers and choices come from the system's random
source. ``DYNAMIC_HELPERS`` maps each name to a one-line description (docs/postman.md).
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

_rng = secrets.SystemRandom()


def uuid4() -> str:
    """A random (v4) UUID; the uuid module is imported on first use (it imports platform)."""
    import uuid

    return str(uuid.uuid4())


@cache
def _faker() -> Any:
    from faker import Faker  # deferred: about 60 ms, only for collections that use it

    return Faker("en_US")


def _pick(items: Sequence[str]) -> Callable[[], str]:
    return lambda: _rng.choice(items)


def _fake(method: str, *args: Any) -> Callable[[], Any]:
    return lambda: getattr(_faker(), method)(*args)


def _digits(count: int) -> str:
    return "".join(_rng.choice(string.digits) for _ in range(count))


def iso_timestamp() -> str:
    """The current UTC time as JavaScript's ``toISOString`` writes it, in milliseconds."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _js_date(moment: datetime) -> str:
    """A date as JavaScript's ``Date.toString`` writes it (in UTC), as Postman sends dates."""
    return moment.strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")


def _date(days_from: float, days_to: float) -> Callable[[], str]:
    def make() -> str:
        offset = _rng.uniform(days_from, days_to)
        return _js_date(datetime.now(UTC) + timedelta(days=offset))

    return make


def _words(low: int, high: int) -> Callable[[], str]:
    return lambda: " ".join(_faker().word() for _ in range(_rng.randint(low, high)))


def _password() -> str:
    alphabet = string.ascii_letters + string.digits + "_-"
    return "".join(_rng.choice(alphabet) for _ in range(15))


def _bitcoin() -> str:
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"  # base58
    return _rng.choice("13") + "".join(_rng.choice(alphabet) for _ in range(_rng.randint(25, 33)))


LOCALES = (
    "af am ar az be bg bn bs ca cs cy da de el en eo es et eu fa fi fil fo fr fy ga gl gu he "
    "hi hr hu hy id is it ja ka kk km kn ko ky lt lv mk ml mn mr ms mt my nb ne nl nn no pa pl "
    "pt ro ru si sk sl sq sr sv sw ta te th tr uk ur uz vi zh zu"
).split()
DIRECTORIES = (
    "/Applications /bin /boot /dev /etc /etc/defaults /home /home/user /home/user/dir /lib "
    "/Library /media /mnt /opt /opt/bin /opt/lib /private /private/tmp /root /sbin /srv /sys "
    "/System /tmp /Users /usr /usr/bin /usr/include /usr/lib /usr/local/bin /usr/local/src "
    "/usr/sbin /usr/share /usr/src /var /var/log /var/mail /var/spool /var/tmp"
).split()
DEPARTMENTS = (
    "Books Movies Music Games Electronics Computers Home Garden Tools Grocery Health Beauty "
    "Toys Kids Baby Clothing Shoes Jewelery Sports Outdoors Automotive Industrial"
).split()
PRODUCT_ADJECTIVES = (
    "Small Ergonomic Rustic Intelligent Gorgeous Incredible Fantastic Practical Sleek Awesome "
    "Generic Handcrafted Handmade Licensed Refined Unbranded Tasty"
).split()
PRODUCT_MATERIALS = (
    "Steel Wooden Concrete Plastic Cotton Granite Rubber Metal Soft Fresh Frozen"
).split()
PRODUCTS = (
    "Chair Car Computer Keyboard Mouse Bike Ball Gloves Pants Shirt Table Shoes Hat Towels Soap "
    "Tuna Chicken Fish Cheese Bacon Pizza Salad Sausages Chips"
).split()
DB_COLUMNS = (
    "id title name email phone token group category password comment avatar status "
    "createdAt updatedAt"
).split()
DB_TYPES = (
    "int varchar text date datetime tinyint time timestamp smallint mediumint bigint decimal "
    "float double real bit boolean serial blob binary enum set geometry point"
).split()
DB_COLLATIONS = (
    "utf8_unicode_ci utf8_general_ci utf8_bin ascii_bin ascii_general_ci cp1250_bin "
    "cp1250_general_ci"
).split()
DB_ENGINES = "InnoDB MyISAM MEMORY CSV BLACKHOLE ARCHIVE".split()
ACCOUNT_KINDS = (
    "Checking Savings Money-Market Investment Home-Loan Credit-Card Auto-Loan Personal-Loan"
).split()
TRANSACTION_TYPES = "deposit withdrawal payment invoice".split()
HACKER_ABBREVIATIONS = (
    "ADP AGP AI API ASCII CLI COM CSS DNS EXE FTP GB HDD HEX HTTP IB IP JBOD JSON OCR PCI PNG "
    "RAM RSS SAS SCSI SDD SMS SMTP SQL SSD SSL TCP THX TLS UDP USB UTF8 VGA XML XSS"
).split()
HACKER_ADJECTIVES = (
    "auxiliary primary back-end digital open-source virtual cross-platform redundant online "
    "haptic multi-byte bluetooth wireless 1080p neural optical mobile"
).split()
HACKER_NOUNS = (
    "driver protocol bandwidth panel microchip program port card array interface system sensor "
    "firewall pixel alarm feed monitor application transmitter bus circuit capacitor matrix"
).split()
HACKER_VERBS = (
    "back-up bypass hack override compress copy navigate index connect generate quantify "
    "calculate synthesize input transmit program reboot parse"
).split()
JOB_DESCRIPTORS = (
    "Lead Senior Direct Corporate Dynamic Future Product National Regional District Central "
    "Global Customer Investor Internal International Human Chief Principal"
).split()
JOB_AREAS = (
    "Solutions Program Brand Security Research Marketing Directives Implementation Integration "
    "Functionality Response Paradigm Tactics Identity Markets Group Division Applications "
    "Optimization Operations Infrastructure Intranet Communications Web Branding Quality "
    "Assurance Mobility Accounts Data Creative Configuration Accountability Interactions "
    "Factors Usability Metrics"
).split()
JOB_TYPES = (
    "Supervisor Associate Executive Liaison Officer Manager Engineer Specialist Director "
    "Coordinator Administrator Architect Analyst Designer Planner Orchestrator Technician "
    "Developer Producer Consultant Assistant Facilitator Agent Representative Strategist"
).split()
COMMON_FILE_TYPES = "video audio image text application".split()
COMMON_FILE_EXTS = "pdf mpeg wav png jpeg gif mp4 mp3 txt json csv html".split()
IMAGE_CATEGORIES = (
    "abstract animals business cats city food nightlife fashion people nature sports transport"
).split()


def _image(category: str | None = None) -> Callable[[], str]:
    return lambda: "http://placeimg.com/640/480" + (f"/{category}" if category else "")


def _hacker_phrase() -> str:
    return (
        f"If we {_rng.choice(HACKER_VERBS)} the {_rng.choice(HACKER_NOUNS)}, we can get to the "
        f"{_rng.choice(HACKER_ABBREVIATIONS)} {_rng.choice(HACKER_NOUNS)} through the "
        f"{_rng.choice(HACKER_ADJECTIVES)} {_rng.choice(HACKER_ABBREVIATIONS)} "
        f"{_rng.choice(HACKER_NOUNS)}!"
    )


def _ingverb() -> str:
    verb = _rng.choice(HACKER_VERBS)
    stem = verb[:-1] if verb.endswith("e") and not verb.endswith("ee") else verb
    return stem + "ing"


# name -> (generator, description). The descriptions are Postman's, shortened.
_TABLE: dict[str, tuple[Callable[[], Any], str]] = {
    "guid": (uuid4, "a v4 UUID"),
    "isoTimestamp": (iso_timestamp, "the current UTC time, ISO 8601 with milliseconds"),
    "randomInt": (lambda: _rng.randint(0, 1000), "an integer from 0 to 1000"),
    "randomUUID": (uuid4, "a v4 UUID"),
    "randomBoolean": (lambda: _rng.choice((True, False)), "true or false"),
    "randomAlphaNumeric": (
        lambda: _rng.choice(string.ascii_lowercase + string.digits),
        "one character, a-z or 0-9",
    ),
    "randomWord": (_fake("word"), "a word"),
    "randomWords": (_words(2, 5), "two to five words"),
    "randomPhoneNumber": (
        lambda: f"{_digits(3)}-{_digits(3)}-{_digits(4)}",
        "a phone number, 555-555-5555",
    ),
    "randomPhoneNumberExt": (
        lambda: f"{_rng.randint(1, 99)}-{_digits(3)}-{_digits(3)}-{_digits(4)}",
        "a phone number with an extension",
    ),
    "randomLocale": (_pick(LOCALES), "a language code, such as de"),
    "randomCity": (_fake("city"), "a city"),
    "randomStreetName": (_fake("street_name"), "a street name"),
    "randomStreetAddress": (_fake("street_address"), "a street address"),
    "randomCountry": (_fake("country"), "a country"),
    "randomCountryCode": (_fake("country_code"), "a two-letter country code"),
    "randomLatitude": (lambda: str(_faker().latitude()), "a latitude"),
    "randomLongitude": (lambda: str(_faker().longitude()), "a longitude"),
    "randomColor": (_fake("safe_color_name"), "a colour name"),
    "randomDepartment": (_pick(DEPARTMENTS), "a shop department"),
    "randomProductName": (
        lambda: " ".join(
            _rng.choice(words) for words in (PRODUCT_ADJECTIVES, PRODUCT_MATERIALS, PRODUCTS)
        ),
        "a product name, such as Handmade Concrete Tuna",
    ),
    "randomProductAdjective": (_pick(PRODUCT_ADJECTIVES), "a product adjective"),
    "randomProductMaterial": (_pick(PRODUCT_MATERIALS), "a product material"),
    "randomProduct": (_pick(PRODUCTS), "a product"),
    "randomCompanyName": (_fake("company"), "a company name"),
    "randomCompanySuffix": (_fake("company_suffix"), "a company suffix, such as LLC"),
    "randomCatchPhrase": (_fake("catch_phrase"), "a catch phrase"),
    "randomBs": (_fake("bs"), "a business phrase"),
    "randomDatabaseColumn": (_pick(DB_COLUMNS), "a database column name"),
    "randomDatabaseType": (_pick(DB_TYPES), "a database column type"),
    "randomDatabaseCollation": (_pick(DB_COLLATIONS), "a database collation"),
    "randomDatabaseEngine": (_pick(DB_ENGINES), "a database engine"),
    "randomDatePast": (_date(-365, 0), "a date in the past year"),
    "randomDateFuture": (_date(0, 365), "a date in the next year"),
    "randomDateRecent": (_date(-1, 0), "a date in the past day"),
    "randomMonth": (_fake("month_name"), "a month name"),
    "randomWeekday": (_fake("day_of_week"), "a weekday name"),
    "randomBankAccount": (lambda: _digits(8), "an 8-digit bank account number"),
    "randomBankAccountName": (
        lambda: _rng.choice(ACCOUNT_KINDS).replace("-", " ") + " Account",
        "a bank account name, such as Savings Account",
    ),
    "randomCreditCardMask": (lambda: _digits(4), "the last four digits of a card"),
    "randomPrice": (lambda: f"{_rng.uniform(0, 1000):.2f}", "a price, such as 531.55"),
    "randomTransactionType": (_pick(TRANSACTION_TYPES), "a transaction type"),
    "randomCurrencyCode": (_fake("currency_code"), "a currency code, such as EUR"),
    "randomCurrencyName": (_fake("currency_name"), "a currency name"),
    "randomCurrencySymbol": (_fake("currency_symbol"), "a currency symbol"),
    "randomBitcoin": (_bitcoin, "a Bitcoin address"),
    "randomBankAccountIban": (_fake("iban"), "an IBAN"),
    "randomBankAccountBic": (_fake("swift"), "a BIC (SWIFT code)"),
    "randomAbbreviation": (_pick(HACKER_ABBREVIATIONS), "an IT abbreviation, such as SQL"),
    "randomAdjective": (_pick(HACKER_ADJECTIVES), "an IT adjective"),
    "randomNoun": (_pick(HACKER_NOUNS), "an IT noun"),
    "randomVerb": (lambda: _rng.choice(HACKER_VERBS).replace("-", " "), "an IT verb"),
    "randomIngverb": (lambda: _ingverb().replace("-", " "), "an IT verb ending in -ing"),
    "randomPhrase": (lambda: _hacker_phrase().replace("-", " "), "an IT phrase"),
    "randomAvatarImage": (
        lambda: f"https://i.pravatar.cc/150?img={_rng.randint(1, 70)}",
        "an avatar image URL",
    ),
    "randomImageUrl": (_image(), "an image URL"),
    **{
        f"random{category.capitalize()}Image": (_image(category), f"an image URL ({category})")
        for category in IMAGE_CATEGORIES
    },
    "randomImageDataUri": (
        lambda: (
            "data:image/svg+xml;charset=UTF-8,"
            "%3Csvg%20xmlns%3D%22http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg%22%20width%3D%22640%22%20"
            "height%3D%22480%22%3E%3Crect%20width%3D%22100%25%22%20height%3D%22100%25%22%20"
            "fill%3D%22grey%22%2F%3E%3C%2Fsvg%3E"
        ),
        "a small SVG image as a data URI",
    ),
    "randomEmail": (_fake("email"), "an email address"),
    "randomExampleEmail": (_fake("safe_email"), "an email address at an example domain"),
    "randomUserName": (_fake("user_name"), "a user name"),
    "randomProtocol": (_pick(("http", "https")), "http or https"),
    "randomUrl": (_fake("url"), "a URL"),
    "randomDomainName": (_fake("domain_name"), "a domain name"),
    "randomDomainSuffix": (_fake("tld"), "a top-level domain, such as org"),
    "randomDomainWord": (_fake("domain_word"), "a domain name without dots"),
    "randomIP": (_fake("ipv4"), "an IPv4 address"),
    "randomIPV6": (_fake("ipv6"), "an IPv6 address"),
    "randomUserAgent": (_fake("user_agent"), "a browser User-Agent"),
    "randomHexColor": (_fake("hex_color"), "a colour, such as #a1b2c3"),
    "randomMACAddress": (_fake("mac_address"), "a MAC address"),
    "randomPassword": (_password, "15 random letters, digits, _ and -"),
    "randomLoremWord": (_fake("word"), "a lorem ipsum word"),
    "randomLoremWords": (_words(3, 3), "three lorem ipsum words"),
    "randomLoremSentence": (_fake("sentence"), "a lorem ipsum sentence"),
    "randomLoremSlug": (
        lambda: "-".join(_faker().word() for _ in range(3)),
        "three words joined by -",
    ),
    "randomLoremSentences": (
        lambda: " ".join(_faker().sentence() for _ in range(_rng.randint(2, 6))),
        "two to six sentences",
    ),
    "randomLoremParagraph": (_fake("paragraph"), "a paragraph"),
    "randomLoremParagraphs": (
        lambda: "\n".join(_faker().paragraph() for _ in range(3)),
        "three paragraphs",
    ),
    "randomLoremText": (_fake("text"), "a few sentences"),
    "randomLoremLines": (
        lambda: "\n".join(_faker().sentence() for _ in range(_rng.randint(1, 5))),
        "one to five lines",
    ),
    "randomFirstName": (_fake("first_name"), "a first name"),
    "randomLastName": (_fake("last_name"), "a last name"),
    "randomFullName": (_fake("name"), "a first and last name"),
    "randomJobTitle": (_fake("job"), "a job title"),
    "randomNamePrefix": (_fake("prefix"), "a name prefix, such as Dr."),
    "randomNameSuffix": (_fake("suffix"), "a name suffix, such as PhD"),
    "randomJobDescriptor": (_pick(JOB_DESCRIPTORS), "a job descriptor, such as Senior"),
    "randomJobArea": (_pick(JOB_AREAS), "a job area, such as Security"),
    "randomJobType": (_pick(JOB_TYPES), "a job type, such as Engineer"),
    "randomFileName": (_fake("file_name"), "a file name"),
    "randomCommonFileName": (
        lambda: f"{_faker().word()}.{_rng.choice(COMMON_FILE_EXTS)}",
        "a file name with a common extension",
    ),
    "randomMimeType": (_fake("mime_type"), "a MIME type"),
    "randomCommonFileType": (_pick(COMMON_FILE_TYPES), "a common file type, such as image"),
    "randomCommonFileExt": (_pick(COMMON_FILE_EXTS), "a common file extension"),
    "randomFileType": (lambda: _faker().mime_type().split("/")[0], "a file type"),
    "randomFileExt": (_fake("file_extension"), "a file extension"),
    "randomFilePath": (
        lambda: f"{_rng.choice(DIRECTORIES)}/{_faker().file_name()}",
        "a file path",
    ),
    "randomDirectoryPath": (_pick(DIRECTORIES), "a directory path"),
    "randomSemver": (
        lambda: ".".join(str(_rng.randint(0, 9)) for _ in range(3)),
        "a version, such as 7.0.5",
    ),
}

DYNAMIC_HELPERS: dict[str, str] = {
    "timestamp": "the current Unix time in seconds (render.py)",
    **{name: description for name, (_, description) in _TABLE.items()},
}


def dynamic_helpers() -> dict[str, Callable[[], Any]]:
    """The helpers for ``Renderer.helpers()``; ``timestamp`` is render.py's own."""
    return {name: make for name, (make, _) in _TABLE.items()}
