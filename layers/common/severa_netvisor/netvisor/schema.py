"""Element order of every request body, one place per resource.

Derived from the Netvisor DTDs (customer, product, salesinvoice, salespayment; reference
``netvisor/dtd``) and, where no DTD exists (matchcreditnote, dimensionitem, workday), from the
documented element lists in reference ``netvisor/API.md`` §4.6, §4.10 and §4.11. Netvisor rejects
elements out of DTD order, so the builder walks these trees and never the order of a dict. (The
simulator keeps its own statement, ``sandbox/netvisor/rules.py``.) Names are the DTD's (lower case).

Deviation: ``dimensionitem`` in a customer / product carries ``fatherid``, in a sales invoice
``integrationdimensiondetailguid``, exactly as the DTDs declare.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class El:
    """One element of a request: its children in DTD order, or a text leaf when it has none."""

    name: str
    children: tuple[El, ...] = ()
    required: bool = False
    repeated: bool = False
    attributes: tuple[str, ...] = ()
    required_attributes: tuple[str, ...] = ()
    #: Exactly one of the children must be present (the DTD's ``a | b``).
    choice: bool = False
    #: Allowed text values (an enumeration in the DTD), checked by the simulator.
    values: tuple[str, ...] = ()

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def child(self, name: str) -> El | None:
        for candidate in self.children:
            if candidate.name == name:
                return candidate
        return None


def _el(
    name: str,
    children: tuple[El, ...],
    *,
    required: bool,
    repeated: bool = False,
    attributes: tuple[str, ...] = (),
    required_attributes: tuple[str, ...] = (),
    choice: bool = False,
    values: tuple[str, ...] = (),
) -> El:
    return El(name, children, required, repeated, attributes, required_attributes, choice, values)


def req(
    name: str,
    *children: El,
    attributes: tuple[str, ...] = (),
    required_attributes: tuple[str, ...] = (),
    values: tuple[str, ...] = (),
) -> El:
    return _el(
        name, children, required=True, attributes=attributes, required_attributes=required_attributes,
        values=values,
    )  # fmt: skip


def opt(
    name: str,
    *children: El,
    attributes: tuple[str, ...] = (),
    required_attributes: tuple[str, ...] = (),
    values: tuple[str, ...] = (),
) -> El:
    return _el(
        name, children, required=False, attributes=attributes, required_attributes=required_attributes,
        values=values,
    )  # fmt: skip


def many(name: str, *children: El, required: bool = False, choice: bool = False) -> El:
    return _el(name, children, required=required, repeated=True, choice=choice)


def _opts(*names: str) -> tuple[El, ...]:
    return tuple(El(name) for name in names)


#: VAT codes of salesinvoice.dtd (reference finland.md §5.2).
VAT_CODES = (
    "NONE", "KOOS", "EUOS", "EUUO", "EUPO", "100", "KOMY", "EUMY", "EUUM", "EUPM312", "EUPM309",
    "MUUL", "EVTO", "EVPO", "EVKV", "KAVE", "RAMY", "RAOS", "EVRO", "MAAL", "EVMA", "KOMY0",
)  # fmt: skip


def _dimension_with_father() -> El:
    return many("dimension", req("dimensionname"), req("dimensionitem", attributes=("fatherid",)))


CUSTOMER = req(
    "customer",
    req(
        "customerbaseinformation",
        opt("internalidentifier", attributes=("type",)),
        *_opts("externalidentifier", "organizationunitnumber", "name", "nameextension", "streetaddress"),
        *_opts("additionaladdressline", "city", "postnumber"),
        opt("country", attributes=("type",)),
        *_opts("customergroupname", "phonenumber", "faxnumber", "email", "homepageuri"),
        *_opts("isactive", "isprivatecustomer", "emailinvoicingaddress"),
    ),
    opt("customerfinvoicedetails", *_opts("finvoiceaddress", "finvoiceroutercode")),
    opt("customermaventaedidetails", req("maventaedichannel"), opt("maventaedicustomeridentifier")),
    opt(
        "customerdeliverydetails",
        *_opts("deliveryname", "deliverystreetaddress", "deliverycity", "deliverypostnumber"),
        opt("deliverycountry", attributes=("type",)),
    ),
    opt("customercontactdetails", *_opts("contactname", "contactperson", "contactpersonemail", "contactpersonphone")),
    opt(
        "customeradditionalinformation",
        *_opts("comment", "customeragreementidentifier", "customerreferencenumber", "directdebitbankaccount"),
        opt("invoicinglanguage", attributes=("type",)),
        opt("invoiceprintchannelformat", attributes=("type",), required_attributes=("type",)),
        *_opts("yourdefaultreference", "defaulttextbeforeinvoicelines", "defaulttextafterinvoicelines"),
        opt("defaultpaymentterm", attributes=("type",), required_attributes=("type",)),
        opt("defaultsalesperson", req("salespersonid", attributes=("type",), required_attributes=("type",))),
    ),
    opt("customerdimensiondetails", _dimension_with_father()),
)

PRODUCT = req(
    "product",
    req(
        "productbaseinformation",
        opt("productcode"),
        req("productgroup"),
        req("name"),
        opt("description"),
        req("unitprice", attributes=("type",), required_attributes=("type",)),
        *_opts("unit", "unitweight", "kaukevaproductcode", "purchaseprice", "tariffheading"),
        opt("comissionpercentage"),
        req("isactive"),
        req("issalesproduct"),
        opt("inventoryenabled"),
        opt("countryoforigin", attributes=("type",)),
        *_opts("primaryeancode", "secondaryeancode"),
    ),
    opt(
        "productbookkeepingdetails",
        req("defaultvatpercentage"),
        *_opts("defaultdomesticaccountnumber", "defaulteuaccountnumber", "defaultoutsideeuaccountnumber"),
    ),
    opt(
        "productadditionalinformation",
        *_opts("productnetweight", "productgrossweight", "productweightunit"),
        opt("productpackageinformation", req("packagewidth"), req("packageheight"), req("packagelength")),
        _dimension_with_father(),
    ),
)

_DATE = ("format",)
_INVOICE_DIMENSION = many(
    "dimension",
    req("dimensionname"),
    req("dimensionitem", attributes=("integrationdimensiondetailguid",)),
    many("metadata", req("data")),
)
_ACCRUAL_RULE = opt(
    "accrualrule", req("startmonth"), req("startyear"), *_opts("endmonth", "endyear", "divisioncurvename")
)

SALES_INVOICE = req(
    "salesinvoice",
    opt("salesinvoicenumber"),
    req("salesinvoicedate", attributes=_DATE),
    opt("salesinvoiceeventdate", attributes=_DATE),
    opt("salesinvoiceduedate", attributes=_DATE),
    opt("salesinvoicevaluedate", attributes=_DATE),
    opt("salesinvoicedeliverydate", attributes=_DATE),
    opt("salesinvoicedeliverytocustomerdate", attributes=("format", "type"), required_attributes=("type",)),
    opt("salesinvoicewaybillidentifier"),
    opt("salesinvoicereferencenumber"),
    req("salesinvoiceamount", attributes=("iso4217currencycode", "currencyrate", "pricetype")),
    opt("selleridentifier", attributes=("type",)),
    opt("sellername"),
    opt("invoicetype"),
    req("salesinvoicestatus", attributes=("type",)),
    *_opts("salesinvoicefreetextbeforelines", "salesinvoicefreetextafterlines", "salesinvoiceourreference"),
    *_opts("salesinvoiceyourreference", "salesinvoiceprivatecomment"),
    req("invoicingcustomeridentifier", attributes=("type", "contactpersonid"), required_attributes=("type",)),
    *_opts("invoicingcustomername", "invoicingcustomernameextension", "invoicingcustomeraddressline"),
    *_opts("invoicingcustomeradditionaladdressline", "invoicingcustomerpostnumber", "invoicingcustomertown"),
    opt("invoicingcustomercountrycode", attributes=("type",)),
    opt("officeidentifier", attributes=("type",)),
    opt("deliveryoffice", attributes=("type",), required_attributes=("type",)),
    *_opts("deliveryaddressname", "deliveryaddressnameextension", "deliveryaddressline"),
    *_opts("deliveryaddresspostnumber", "deliveryaddresstown"),
    opt("deliveryaddresscountrycode", attributes=("type",)),
    *_opts("deliverymethod", "deliveryterm", "salesinvoicetaxhandlingtype", "paymenttermnetdays"),
    opt("paymenttermcashdiscountdays"),
    opt("paymenttermcashdiscount", attributes=("type",), required_attributes=("type",)),
    opt("expectpartialpayments"),
    opt("trydirectdebitlink", attributes=("mode",), required_attributes=("mode",)),
    *_opts("overridevouchersalesreceivablesaccountnumber", "invoicesubjecttype", "salesinvoiceagreementidentifier"),
    opt("printchannelformat", attributes=("type",), required_attributes=("type",)),
    opt("secondname", attributes=("type",), required_attributes=("type",)),
    *_opts("overriderateofoverdue", "ordernumber"),
    req(
        "invoicelines",
        many(
            "invoiceline",
            opt(
                "salesinvoiceproductline",
                req("productidentifier", attributes=("type",), required_attributes=("type",)),
                req("productname"),
                req("productunitprice", attributes=("type",), required_attributes=("type",)),
                opt("productunitpurchaseprice", attributes=("type",), required_attributes=("type",)),
                # The DTD leaves vatcode #IMPLIED; Netvisor's documentation makes it mandatory.
                req("productvatpercentage", attributes=("vatcode",), required_attributes=("vatcode",)),
                req("salesinvoiceproductlinequantity"),
                *_opts("salesinvoiceproductlinediscountpercentage", "salesinvoiceproductlinefreetext"),
                *_opts("salesinvoiceproductlinevatsum", "salesinvoiceproductlinesum"),
                *_opts("salesinvoiceproductlineinventoryid", "accountingaccountsuggestion", "skipaccrual"),
                _INVOICE_DIMENSION,
                opt("provisionpercentage"),
                _ACCRUAL_RULE,
                opt("productunitname"),
            ),
            opt("salesinvoicecommentline", req("comment")),
            required=True,
            choice=True,
        ),
    ),
    opt(
        "invoicevoucherlines",
        many(
            "voucherline",
            req("linesum", attributes=("type",), required_attributes=("type",)),
            opt("description"),
            req("accountnumber"),
            req("vatpercent", attributes=("vatcode",), required_attributes=("vatcode",)),
            opt("skipaccrual"),
            _INVOICE_DIMENSION,
            required=True,
        ),
    ),
    opt(
        "salesinvoiceaccrual",
        *_opts("overridedefaultsalesaccrualaccountnumber", "salesinvoiceaccrualtype"),
        many("accrualvoucherentry", req("month"), req("year"), req("sum"), required=True),
    ),
    _ACCRUAL_RULE,
    opt(
        "salesinvoiceattachments",
        many(
            "salesinvoiceattachment",
            req("mimetype"),
            req("attachmentdescription"),
            req("filename"),
            req("documentdata", attributes=("type",)),
            opt("printbydefault"),
            required=True,
        ),
    ),
    opt(
        "customtags",
        many("tag", req("tagname"), req("tagvalue", attributes=("datatype",), required_attributes=("datatype",))),
    ),
)

SALES_PAYMENT = req(
    "salespayment",
    req("sum", attributes=("currency",)),
    req("paymentdate"),
    req("targetidentifier", attributes=("type", "targettype"), required_attributes=("type",)),
    req("sourcename"),
    req(
        "paymentmethod",
        attributes=("type", "overrideaccountingaccountnumber", "overridesalesreceivableaccountnumber"),
        required_attributes=("type",),
    ),
)

MATCH_CREDIT_NOTE = req("matchcreditnote", req("creditnotenetvisorkey"), req("invoicenetvisorkey"))

# No DTD: the order of reference API.md §4.10 (the newer page's code/label/activity elements included).
DIMENSION_ITEM = req(
    "dimensionitem",
    req("name"),
    req("item"),
    *_opts("olditem", "code", "label", "oldcode", "oldlabel", "fatherid", "fatheritem", "fathercode"),
    *_opts("fatherlabel", "activityperiodstart", "activityperiodend", "ishidden"),
)

# No DTD: the order of reference API.md §4.11 (Netvisor's workday.nv page and two clients).
_WORKDAY_DIMENSION = many("dimension", req("dimensionname"), req("dimensionitem", attributes=("fatherid",)))
WORKDAY = req(
    "workday",
    req("date", attributes=("format", "method")),
    req(
        "employeeidentifier",
        attributes=("type", "defaultdimensionhandlingtype"),
        required_attributes=("type",),
    ),
    many(
        "workdayhour",
        req("hours"),
        req("collectorratio", attributes=("type",), required_attributes=("type",)),
        # workday.nv (77000554280): "Occurs 1" for both.
        req("acceptancestatus", values=("confirmed", "accepted")),
        req("description"),
        opt("crmprocessidentifier", attributes=("billingtype",)),
        opt("invoicingproductidentifier"),
        opt("customeridentifier", attributes=("type",)),
        _WORKDAY_DIMENSION,
    ),
    many(
        "workdaytime",
        req("starttimeofday"),
        req("endtimeofday"),
        opt("breaktime", attributes=("type",)),
        req("collectorratio", attributes=("type",), required_attributes=("type",)),
        req("acceptancestatus", values=("confirmed", "accepted")),
        req("description"),
    ),
)


def root_of(body: El) -> El:
    return El("root", (body,), required=True)


#: Resource (lower-case ``name.nv``) -> the schema of its request body.
REQUEST_SCHEMAS: dict[str, El] = {
    "customer.nv": root_of(CUSTOMER),
    "product.nv": root_of(PRODUCT),
    "salesinvoice.nv": root_of(SALES_INVOICE),
    "salespayment.nv": root_of(SALES_PAYMENT),
    "matchcreditnote.nv": root_of(MATCH_CREDIT_NOTE),
    "dimensionitem.nv": root_of(DIMENSION_ITEM),
    "workday.nv": root_of(WORKDAY),
}

#: Resources whose schema comes from a DTD in reference ``netvisor/dtd`` (for the DTD test).
DTD_FILES: dict[str, str] = {
    "customer.nv": "customer.dtd",
    "product.nv": "product.dtd",
    "salesinvoice.nv": "salesinvoice.dtd",
    "salespayment.nv": "salespayment.dtd",
}
