"""The simulator's own statement of what Netvisor accepts, resource by resource.

Written from Netvisor's public pages and the request DTDs Netvisor publishes (copies vendored by
nyholmsolutions/xi-netvisor, described in ``reference/netvisor/dtd/SOURCES.md``), never from the
client's code: the simulator is a witness, so a mistake in the client's schema must not be repeated
here. ``tests/unit/netvisor/test_simulator_rules.py`` compares every content model and attribute list
below with the DTDs in ``../shared`` (skipping loudly when they are absent); the deviations from the
DTDs are listed in ``DEVIATIONS`` with their source.

Content models use DTD notation: ``(a?, b, c*)`` is a sequence, ``(a|b)`` a choice; an element
without a model is a text leaf. Names are lower case: Netvisor compares tags case-insensitively.

Sources (support.netvisor.fi/en/support/solutions/articles/…):
- 77000466681 "Resources general": elements in DTD order; compulsory elements are not given empty;
  an empty element on edit blanks the value.
- 77000554181 customer.nv (and the Finnish 77000554181-asiakastietojen-tuonti-customer-nv): lengths
  ("String, max 50/17/250/80"), the e-invoice address is not checked but the operator must be one
  Netvisor knows, ``organizationunitnumber`` is the buyer's OVT/unit number (BuyerOrganisationUnitNumber)
  and "must not hold the customer's e-invoice address".
- 77000554152 salesinvoice.nv (Finnish page 77000554152-myyntilaskun-tai-tilauksen-tuonti-salesinvoice-nv):
  compulsory data, the VAT percentage *and code* of every line, credit notes with negative
  quantities, line sums and total and a positive unit price.
- 77000554280 workday.nv: ``acceptancestatus`` and ``description`` occur exactly once per
  ``workdayhour`` ("Occurs 1"); hours are rounded to two decimals; the record type must exist.
- 77000466868 / 77000554196 dimensions: dimension name at most 50, item at most 200 characters.
- 77000554289 salesinvoicebatch.nv: attachment mime type at most 50, file name 255, description 100.
- 77000554184 contactperson.nv (Finnish): names at most 100, e-mail at most 200 characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

Occurrence = Literal["", "?", "*", "+"]

_TOKEN = re.compile(r"^\s*([a-z0-9_]+)([?*+]?)\s*$")


@dataclass(frozen=True)
class Child:
    name: str
    occurrence: Occurrence

    @property
    def required(self) -> bool:
        return self.occurrence in ("", "+")

    @property
    def repeated(self) -> bool:
        return self.occurrence in ("*", "+")


@dataclass(frozen=True)
class Model:
    """A content model: the children in order, and whether exactly one of them is chosen."""

    children: tuple[Child, ...]
    choice: bool = False

    def names(self) -> list[str]:
        return [c.name for c in self.children]


def parse_model(text: str) -> Model:
    """``(a?, b, c*)`` or ``(a|b)`` → a ``Model``; nested groups do not occur in Netvisor's DTDs."""
    inner = text.strip()
    if not (inner.startswith("(") and inner.endswith(")")):
        raise ValueError(f"a content model is written in parentheses: {text!r}")
    inner = inner[1:-1]
    choice = "|" in inner
    parts = inner.split("|" if choice else ",")
    children = []
    for part in parts:
        match = _TOKEN.match(part)
        if match is None:
            raise ValueError(f"cannot read {part!r} in {text!r}")
        children.append(Child(match.group(1), match.group(2)))  # type: ignore[arg-type]
    return Model(tuple(children), choice)


@dataclass(frozen=True)
class Attribute:
    required: bool = False
    #: Allowed values (a DTD enumeration); None when any text is allowed.
    values: tuple[str, ...] | None = None


def attr(values: str | None = None, *, required: bool = False) -> Attribute:
    return Attribute(required, tuple(values.split("|")) if values else None)


@dataclass(frozen=True)
class Resource:
    """Everything the simulator checks about one request body before it reads any value."""

    root: str
    models: MappingProxyType[str, Model]
    attributes: MappingProxyType[str, MappingProxyType[str, Attribute]]
    #: Leaves whose text must be one of these values (lower case).
    values: MappingProxyType[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    #: Documented maximum lengths of leaves, in characters.
    max_lengths: MappingProxyType[str, int] = field(default_factory=lambda: MappingProxyType({}))


def _resource(
    root: str,
    models: dict[str, str],
    attributes: dict[str, dict[str, Attribute]],
    *,
    values: dict[str, tuple[str, ...]] | None = None,
    max_lengths: dict[str, int] | None = None,
) -> Resource:
    return Resource(
        root,
        MappingProxyType({name: parse_model(text) for name, text in models.items()}),
        MappingProxyType({name: MappingProxyType(dict(a)) for name, a in attributes.items()}),
        MappingProxyType(dict(values or {})),
        MappingProxyType(dict(max_lengths or {})),
    )


#: Netvisor's VAT codes as salesinvoice.dtd spells them (``productvatpercentage`` / ``vatpercent``).
VAT_CODES = (
    "NONE|KOOS|EUOS|EUUO|EUPO|100|KOMY|EUMY|EUUM|EUPM312|EUPM309|MUUL|EVTO|EVPO|EVKV|KAVE|RAMY|RAOS|"
    "EVRO|MAAL|EVMA|KOMY0"
)
#: salespayment.dtd lists fewer codes for payment voucher lines.
PAYMENT_VAT_CODES = "NONE|KOOS|EUOS|EUUO|EUPO|100|KOMY|EUMY|EUUM|EUPM312|EUPM309|MUUL|EVTO|EVPO|KOMY0"

# Dimension names and items (77000466868, 77000554196).
DIMENSION_LIMITS = {"dimensionname": 50, "dimensionitem": 200}

CUSTOMER = _resource(
    "customer",
    {
        "root": "(customer)",
        "customer": "(customerbaseinformation, customerfinvoicedetails?, customermaventaedidetails?, "
        "customerdeliverydetails?, customercontactdetails?, customeradditionalinformation?, customerdimensiondetails?)",
        "customerbaseinformation": "(internalidentifier?, externalidentifier?, organizationunitnumber?, name?, "
        "nameextension?, streetaddress?, additionaladdressline?, city?, postnumber?, country?, customergroupname?, "
        "phonenumber?, faxnumber?, email?, homepageuri?, isactive?, isprivatecustomer?, emailinvoicingaddress?)",
        "customerfinvoicedetails": "(finvoiceaddress?, finvoiceroutercode?)",
        "customermaventaedidetails": "(maventaedichannel, maventaedicustomeridentifier?)",
        "customerdeliverydetails": "(deliveryname?, deliverystreetaddress?, deliverycity?, deliverypostnumber?, "
        "deliverycountry?)",
        "customercontactdetails": "(contactname?, contactperson?, contactpersonemail?, contactpersonphone?)",
        "customeradditionalinformation": "(comment?, customeragreementidentifier?, customerreferencenumber?, "
        "directdebitbankaccount?, invoicinglanguage?, invoiceprintchannelformat?, yourdefaultreference?, "
        "defaulttextbeforeinvoicelines?, defaulttextafterinvoicelines?, defaultpaymentterm?, defaultsalesperson?)",
        "defaultsalesperson": "(salespersonid)",
        "customerdimensiondetails": "(dimension*)",
        "dimension": "(dimensionname, dimensionitem)",
    },
    {
        "internalidentifier": {"type": attr("automatic")},
        "country": {"type": attr()},
        "deliverycountry": {"type": attr()},
        "invoicinglanguage": {"type": attr()},
        "invoiceprintchannelformat": {"type": attr("netvisor", required=True)},
        "defaultpaymentterm": {"type": attr("netvisor|customer", required=True)},
        "salespersonid": {"type": attr("netvisor", required=True)},
        "dimensionitem": {"fatherid": attr()},
    },
    # customer.nv page 77000554181, column "Type and length".
    max_lengths={
        "internalidentifier": 50,
        "organizationunitnumber": 17,
        "name": 250,
        "nameextension": 250,
        "streetaddress": 80,
        "additionaladdressline": 80,
        "city": 80,
        "postnumber": 50,
        **DIMENSION_LIMITS,
    },
)

PRODUCT = _resource(
    "product",
    {
        "root": "(product)",
        "product": "(productbaseinformation, productbookkeepingdetails?, productadditionalinformation?)",
        "productbaseinformation": "(productcode?, productgroup, name, description?, unitprice, unit?, unitweight?, "
        "kaukevaproductcode?, purchaseprice?, tariffheading?, comissionpercentage?, isactive, issalesproduct, "
        "inventoryenabled?, countryoforigin?, primaryeancode?, secondaryeancode?)",
        "productbookkeepingdetails": "(defaultvatpercentage, defaultdomesticaccountnumber?, defaulteuaccountnumber?, "
        "defaultoutsideeuaccountnumber?)",
        "productadditionalinformation": "(productnetweight?, productgrossweight?, productweightunit?, "
        "productpackageinformation?, dimension*)",
        "productpackageinformation": "(packagewidth, packageheight, packagelength)",
        "dimension": "(dimensionname, dimensionitem)",
    },
    {
        "unitprice": {"type": attr("net|gross", required=True)},
        "countryoforigin": {"type": attr()},
        "dimensionitem": {"fatherid": attr()},
    },
    max_lengths=DIMENSION_LIMITS,
)

SALES_INVOICE = _resource(
    "salesinvoice",
    {
        "root": "(salesinvoice)",
        "salesinvoice": "(salesinvoicenumber?, salesinvoicedate, salesinvoiceeventdate?, salesinvoiceduedate?, "
        "salesinvoicevaluedate?, salesinvoicedeliverydate?, salesinvoicedeliverytocustomerdate?, "
        "salesinvoicewaybillidentifier?, salesinvoicereferencenumber?, salesinvoiceamount, selleridentifier?, "
        "sellername?, invoicetype?, salesinvoicestatus, salesinvoicefreetextbeforelines?, "
        "salesinvoicefreetextafterlines?, salesinvoiceourreference?, salesinvoiceyourreference?, "
        "salesinvoiceprivatecomment?, invoicingcustomeridentifier, invoicingcustomername?, "
        "invoicingcustomernameextension?, invoicingcustomeraddressline?, invoicingcustomeradditionaladdressline?, "
        "invoicingcustomerpostnumber?, invoicingcustomertown?, invoicingcustomercountrycode?, officeidentifier?, "
        "deliveryoffice?, deliveryaddressname?, deliveryaddressnameextension?, deliveryaddressline?, "
        "deliveryaddresspostnumber?, deliveryaddresstown?, deliveryaddresscountrycode?, deliverymethod?, "
        "deliveryterm?, salesinvoicetaxhandlingtype?, paymenttermnetdays?, paymenttermcashdiscountdays?, "
        "paymenttermcashdiscount?, expectpartialpayments?, trydirectdebitlink?, "
        "overridevouchersalesreceivablesaccountnumber?, invoicesubjecttype?, salesinvoiceagreementidentifier?, "
        "printchannelformat?, secondname?, overriderateofoverdue?, ordernumber?, invoicelines, "
        "invoicevoucherlines?, salesinvoiceaccrual?, accrualrule?, salesinvoiceattachments?, customtags?)",
        "invoicelines": "(invoiceline+)",
        "invoiceline": "(salesinvoiceproductline|salesinvoicecommentline)",
        "salesinvoiceproductline": "(productidentifier, productname, productunitprice, productunitpurchaseprice?, "
        "productvatpercentage, salesinvoiceproductlinequantity, salesinvoiceproductlinediscountpercentage?, "
        "salesinvoiceproductlinefreetext?, salesinvoiceproductlinevatsum?, salesinvoiceproductlinesum?, "
        "salesinvoiceproductlineinventoryid?, accountingaccountsuggestion?, skipaccrual?, dimension*, "
        "provisionpercentage?, accrualrule?, productunitname?)",
        "salesinvoicecommentline": "(comment)",
        "invoicevoucherlines": "(voucherline+)",
        "voucherline": "(linesum, description?, accountnumber, vatpercent, skipaccrual?, dimension*)",
        "dimension": "(dimensionname, dimensionitem, metadata*)",
        "metadata": "(data)",
        "salesinvoiceaccrual": "(overridedefaultsalesaccrualaccountnumber?, salesinvoiceaccrualtype?, "
        "accrualvoucherentry+)",
        "accrualvoucherentry": "(month, year, sum)",
        "salesinvoiceattachments": "(salesinvoiceattachment+)",
        "salesinvoiceattachment": "(mimetype, attachmentdescription, filename, documentdata, printbydefault?)",
        "customtags": "(tag*)",
        "tag": "(tagname, tagvalue)",
        "accrualrule": "(startmonth, startyear, endmonth?, endyear?, divisioncurvename?)",
    },
    {
        "salesinvoicedate": {"format": attr()},
        "salesinvoiceeventdate": {"format": attr()},
        "salesinvoiceduedate": {"format": attr()},
        "salesinvoicevaluedate": {"format": attr()},
        "salesinvoicedeliverydate": {"format": attr()},
        "salesinvoicedeliverytocustomerdate": {"format": attr(), "type": attr("date|weeknumber", required=True)},
        "salesinvoiceamount": {
            "iso4217currencycode": attr(),
            "currencyrate": attr(),
            "pricetype": attr("netvisor|customer"),
        },
        "selleridentifier": {"type": attr("netvisor|customer")},
        "salesinvoicestatus": {"type": attr()},
        "invoicingcustomeridentifier": {
            "type": attr("netvisor|customer|organizationunitnumber", required=True),
            "contactpersonid": attr(),
        },
        "invoicingcustomercountrycode": {"type": attr()},
        "trydirectdebitlink": {"mode": attr("ignore_error|fail_on_error", required=True)},
        "printchannelformat": {"type": attr("netvisor|customer", required=True)},
        "secondname": {"type": attr("netvisor|customer", required=True)},
        "officeidentifier": {"type": attr("automatic")},
        "deliveryoffice": {"type": attr("netvisor|customer", required=True)},
        "deliveryaddresscountrycode": {"type": attr()},
        "productidentifier": {"type": attr("netvisor|customer|primaryeancode|secondaryeancode", required=True)},
        "productunitprice": {"type": attr("net|gross|netvisor", required=True)},
        "productunitpurchaseprice": {"type": attr("net", required=True)},
        # The DTD leaves the line's VAT code #IMPLIED; the salesinvoice.nv page makes "the VAT
        # percentage and code" of every line compulsory (DEVIATIONS).
        "productvatpercentage": {"vatcode": attr(VAT_CODES, required=True)},
        "paymenttermcashdiscount": {"type": attr("percentage|sum", required=True)},
        "linesum": {"type": attr("net|gross", required=True)},
        "vatpercent": {"vatcode": attr(VAT_CODES, required=True)},
        "dimensionitem": {"integrationdimensiondetailguid": attr()},
        "documentdata": {"type": attr("finvoice|pdf")},
        "tagvalue": {"datatype": attr("date|text|float|enum", required=True)},
    },
    max_lengths={
        **DIMENSION_LIMITS,
        # salesinvoicebatch.nv page 77000554289 (the same attachment fields, batch form).
        "mimetype": 50,
        "filename": 255,
        "attachmentdescription": 100,
    },
)

SALES_PAYMENT = _resource(
    "salespayment",
    {
        "root": "(salespayment)",
        "salespayment": "(sum, paymentdate, targetidentifier, sourcename, paymentmethod, salespaymentvoucherlines*)",
        "salespaymentvoucherlines": "(voucherline+)",
        "voucherline": "(linesum, description?, accountnumber, vatpercent, dimension*)",
        "dimension": "(dimensionname, dimensionitem)",
    },
    {
        "sum": {"currency": attr()},
        "targetidentifier": {
            "type": attr("netvisor|invoicenumber|reference", required=True),
            "targettype": attr("invoice|order"),
        },
        "paymentmethod": {
            "type": attr(required=True),
            "overrideaccountingaccountnumber": attr(),
            "overridesalesreceivableaccountnumber": attr(),
        },
        "linesum": {"type": attr("net|gross", required=True)},
        "vatpercent": {"vatcode": attr(PAYMENT_VAT_CODES, required=True)},
    },
    max_lengths=DIMENSION_LIMITS,
)

# No DTD: matchcreditnote.nv's two keys (reference/netvisor/samples/requests/SalesInvoiceMatchCreditNote.xml).
MATCH_CREDIT_NOTE = _resource(
    "matchcreditnote",
    {"root": "(matchcreditnote)", "matchcreditnote": "(creditnotenetvisorkey, invoicenetvisorkey)"},
    {},
)

# No DTD: the element table of dimensionitem.nv (77000554196, the newer version with code and label).
DIMENSION_ITEM = _resource(
    "dimensionitem",
    {
        "root": "(dimensionitem)",
        "dimensionitem": "(name, item, olditem?, code?, label?, oldcode?, oldlabel?, fatherid?, fatheritem?, "
        "fathercode?, fatherlabel?, activityperiodstart?, activityperiodend?, ishidden?)",
    },
    {},
    max_lengths={"name": 50, "item": 200, "olditem": 200, "fatheritem": 200},
)

# No DTD: the element table of workday.nv (77000554280). acceptancestatus and description occur once
# ("Occurs 1") in every workdayhour and workdaytime.
WORKDAY = _resource(
    "workday",
    {
        "root": "(workday)",
        "workday": "(date, employeeidentifier, workdayhour*, workdaytime*)",
        "workdayhour": "(hours, collectorratio, acceptancestatus, description, crmprocessidentifier?, "
        "invoicingproductidentifier?, customeridentifier?, dimension*)",
        "workdaytime": "(starttimeofday, endtimeofday, breaktime?, collectorratio, acceptancestatus, description)",
        "dimension": "(dimensionname, dimensionitem)",
    },
    {
        "date": {"format": attr(), "method": attr("replace|increment")},
        "employeeidentifier": {
            "type": attr("number|personalidentificationnumber|netvisorkey"),
            "defaultdimensionhandlingtype": attr("none|usedefault"),
        },
        "collectorratio": {"type": attr("number")},
        "crmprocessidentifier": {"billingtype": attr("billable|unbillable")},
        "customeridentifier": {"type": attr("netvisor|customer")},
        "breaktime": {"type": attr()},
        "dimensionitem": {"fatherid": attr()},
    },
    values={"acceptancestatus": ("confirmed", "accepted")},
    max_lengths=DIMENSION_LIMITS,
)

#: Resource (lower-case ``name.nv``) → its statement.
RESOURCES: MappingProxyType[str, Resource] = MappingProxyType(
    {
        "customer.nv": CUSTOMER,
        "product.nv": PRODUCT,
        "salesinvoice.nv": SALES_INVOICE,
        "salespayment.nv": SALES_PAYMENT,
        "matchcreditnote.nv": MATCH_CREDIT_NOTE,
        "dimensionitem.nv": DIMENSION_ITEM,
        "workday.nv": WORKDAY,
    }
)

#: The statements written from a DTD, and that DTD's file name (for the DTD test).
DTD_FILES: MappingProxyType[str, str] = MappingProxyType(
    {
        "customer.nv": "customer.dtd",
        "product.nv": "product.dtd",
        "salesinvoice.nv": "salesinvoice.dtd",
        "salespayment.nv": "salespayment.dtd",
    }
)

#: Where the statement departs from a DTD on purpose: (resource, element, attribute) → why.
DEVIATIONS: MappingProxyType[tuple[str, str, str], str] = MappingProxyType(
    {
        ("salesinvoice.nv", "productvatpercentage", "vatcode"): (
            "#IMPLIED in the DTD; salesinvoice.nv (77000554152) makes each line's VAT code compulsory"
        ),
    }
)


# --------------------------------------------------------------------------------------------------
# Rules about values (what Netvisor checks after the form)
# --------------------------------------------------------------------------------------------------

#: VAT codes of zero-rated or reverse-charge sales: the seller charges no VAT, so the line's VAT
#: percentage is 0. The Tax Administration: a reverse-charge invoice shows no VAT rate and no VAT
#: amount ("Laskutusvaatimukset arvonlisäverotuksessa", VH/3634/00.01.00/2023, ch. 6.1.12), and
#: intra-Community and export sales are VAT-free (AVL 72 a §, 70 §).
ZERO_RATED_CODES = frozenset({"EUMY", "EUUM", "EUPM312", "EUPM309", "RAMY", "MUUL", "KOMY0"})
#: Finnish VAT rates (%) of every period since 1998 (Tax Administration rate tables; see
#: reference/finland.md §5.1): a domestic sale (KOMY) carries one of them.
FINNISH_RATES = frozenset({"0", "8", "9", "10", "12", "13", "13.5", "14", "17", "22", "23", "24", "25.5"})

#: E-invoice operators (intermediators) the simulated company knows. Netvisor accepts an operator
#: only from its own list (customer.nv page: "the operator must be found in the system"); this is a
#: sample of real, published operator IDs: bank BICs for the bank network and the operators' own
#: codes (Apix 003723327487, Maventa 003721291126, OpusCapita/Basware E204503, CGI 003703575029,
#: Pagero, InExchange, Peppol access).
DEFAULT_EINVOICE_OPERATORS = frozenset(
    {
        "003723327487", "003721291126", "E204503", "003703575029", "003708599126", "003710948874",
        "PAGERO", "INEXCHANGE", "PEPPOL", "NDEAFIHH", "OKOYFIHH", "DABAFIHH", "HANDFIHH", "AABAFI22",
        "POPFFI22", "SBANFIHH", "ITELFIHH", "HELSFIHH", "DNBAFIHX", "BAWCFI22", "TAPIFI22",
    }
)  # fmt: skip
