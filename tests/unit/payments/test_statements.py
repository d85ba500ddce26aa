"""Bank statements read back what the bank wrote, in camt.053 and GPC; a file we cannot read says
so in Czech; the Fio API gives each line once and its failures as FioUnavailable."""
import random
import socket
from datetime import date

import pytest

from services.payments.fio import FioUnavailable, fetch_new
from services.payments.statements import StatementError, parse_statement, variable_symbol_from
from tests.fio_standin import FioStandIn
from tests.statements import camt053, complete, gpc

KEYS = ("bank_id", "booked_on", "amount_halere", "currency", "variable_symbol", "constant_symbol", "specific_symbol",
        "counter_account", "counter_name", "message", "reversal")

# A week on the account of a seminar that costs 1 200 Kč (VS 2026001 and on).
WEEK = [
    {"amount_halere": 120000, "variable_symbol": "2026001", "message": "Seminář účetnictví, Jana Nováková"},
    {"amount_halere": 100000, "variable_symbol": "2026002", "counter_name": "Obec Dolní Lukavice",
     "booked_on": "2026-11-28"},  # 200 Kč short
    {"amount_halere": 150050, "variable_symbol": "0002026003", "specific_symbol": "77", "constant_symbol": "0308",
     "counter_account": "19-123457/0100"},  # 300,50 Kč too much, the symbol with its zeros
    {"amount_halere": 120000, "variable_symbol": "9999999999", "counter_name": "Obec Zbůch"},  # nobody's symbol
    {"amount_halere": 120000, "message": "za školení pro paní Šťastnou"},  # no symbol at all
    {"amount_halere": -30050, "variable_symbol": "2026003", "counter_account": "19-123457/0100",
     "message": "Vrácení přeplatku"},  # our refund: money out
    {"amount_halere": 1, "message": "Úhrada za seminář Účetnictví obcí 2027 pro dva účastníky z obecního úřadu "
                                    "Dolní Lukavice, Jana a Petr"},  # a message longer than 70 characters
]
# The same payment twice on one day, and the bank gave neither an id: two payments, not one.
TWINS = [{"amount_halere": 60000, "variable_symbol": "2026004", "counter_name": "Město Stod", "bank_id": None}] * 2


def expected(lines, name_width=None):
    rows = []
    for line in complete(lines):
        row = {key: line[key] for key in KEYS}
        for key in ("variable_symbol", "constant_symbol", "specific_symbol"):
            row[key] = row[key].lstrip("0") or None if row[key] else None
        if name_width and row["counter_name"]:
            row["counter_name"] = row["counter_name"][:name_width].rstrip()
        rows.append(row)
    return rows


def assert_unreadable(data):
    with pytest.raises(StatementError) as caught:
        parse_statement(data)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith("Výpis se nepodařilo přečíst: "), str(caught.value)
    return str(caught.value)


# camt.053

def test_camt_gives_back_each_line_as_the_bank_wrote_it():
    statement = parse_statement(camt053(WEEK, statement_id="2026-11-30/1"))
    assert statement["format"] == "camt.053"
    assert statement["account"] == "CZ6508000000192000145399"
    assert statement["statement_id"] == "2026-11-30/1"
    assert statement["transactions"] == expected(WEEK)


def test_camt_twins_without_a_bank_id_stay_two_and_keep_their_ids():
    first = parse_statement(camt053(TWINS))["transactions"]
    again = parse_statement(camt053(TWINS))["transactions"]
    ids = [line["bank_id"] for line in first]
    assert len(first) == 2 and len(set(ids)) == 2
    assert all(bank_id.startswith("sha256:") for bank_id in ids)
    assert ids == [line["bank_id"] for line in again]
    assert [{k: v for k, v in line.items() if k != "bank_id"} for line in first] == [
        {k: v for k, v in line.items() if k != "bank_id"} for line in expected(TWINS)]


@pytest.mark.parametrize("place", ["ref", "ref_tagged", "end_to_end", "end_to_end_short", "ustrd", "ustrd_slash"])
def test_camt_finds_the_variable_symbol_wherever_banks_put_it(place):
    line = {"amount_halere": 120000, "variable_symbol": "0002026001", "message": "Seminář", "vs_place": place}
    [transaction] = parse_statement(camt053([line]))["transactions"]
    assert transaction["variable_symbol"] == "2026001"
    assert "Seminář" in transaction["message"]


def test_camt_reads_only_booked_entries():
    lines = [{"amount_halere": 120000, "variable_symbol": "2026001"},
             {"amount_halere": 120000, "variable_symbol": "2026002", "status": "PDNG"}]
    assert [line["variable_symbol"] for line in parse_statement(camt053(lines))["transactions"]] == ["2026001"]


def test_camt_never_takes_the_entry_reference_as_an_id():
    """Issue 25/10: a bank that numbers NtryRef per statement (1, 2, … every day)."""
    monday = parse_statement(camt053([{"amount_halere": 120000, "bank_id": None, "entry_ref": "1"}],
                                     statement_id="2026-11-30/1"))["transactions"]
    tuesday = parse_statement(camt053([{"amount_halere": 90000, "bank_id": None, "entry_ref": "1"}],
                                      statement_id="2026-12-01/1"))["transactions"]
    assert monday[0]["bank_id"].startswith("sha256:") and monday[0]["bank_id"] != tuesday[0]["bank_id"]
    again = parse_statement(camt053([{"amount_halere": 120000, "bank_id": None, "entry_ref": "1"}],
                                     statement_id="2026-11-30/1"))["transactions"]
    assert again[0]["bank_id"] == monday[0]["bank_id"]  # the same statement read again: the same id


def test_camt_takes_the_transactions_own_bank_reference():
    """Issue 25/10: Fio writes its movement id (ID pohybu) as AcctSvcrRef; here in TxDtls/Refs."""
    [line] = parse_statement(camt053([{"amount_halere": 120000, "bank_id": "26962199069", "tx_ref": True,
                                       "entry_ref": "1"}]))["transactions"]
    assert line["bank_id"] == "26962199069"


def test_camt_reads_the_name_raiffeisenbank_puts_on_the_account():
    """Issue 25/13: Raiffeisenbank CZ names the payer in DbtrAcct/Nm only."""
    [line] = parse_statement(camt053([{"amount_halere": 120000, "counter_name": "Obec Kozolupy",
                                       "counter_account": "19-123457/0100", "account_name_only": True}]))[
        "transactions"]
    assert line["counter_name"] == "Obec Kozolupy" and line["counter_account"] == "19-123457/0100"
    [out] = parse_statement(camt053([{"amount_halere": -5000, "counter_name": "Jana Nováková",
                                      "account_name_only": True}]))["transactions"]
    assert out["counter_name"] == "Jana Nováková"


def test_camt_own_bank_code_only_from_a_czech_bank_code():
    """Issue 25/14: a servicer's Othr/Id that is a VAT id is no bank code."""
    def own(servicer):
        document = BANK_EXPORT.replace(
            "<Svcr><FinInstnId><BICFI>KOMBCZPPXXX</BICFI><ClrSysMmbId><MmbId>0100</MmbId></ClrSysMmbId></FinInstnId>",
            f"<Svcr><FinInstnId>{servicer}</FinInstnId>")
        return parse_statement(document.encode())["account"]
    assert own("<Othr><Id>CZ45317054</Id><Issr>ID</Issr></Othr>") == "19-2000145399"
    assert own("<Othr><Id>ID</Id></Othr>") == "19-2000145399"
    assert own("<Othr><Id>0100</Id></Othr>") == "19-2000145399/0100"


def test_camt_reversal_indicator():
    """Issue 25/3: RvslInd true on a debit entry is a credit taken back."""
    lines = parse_statement(camt053([{"amount_halere": 120000, "variable_symbol": "2026001"},
                                     {"amount_halere": -120000, "variable_symbol": "2026001", "reversal": True}]))[
        "transactions"]
    assert [(line["amount_halere"], line["reversal"], line["variable_symbol"]) for line in lines] == [
        (120000, False, "2026001"), (-120000, True, "2026001")]
    assert lines[1]["counter_name"] == "Obec Zkušební"


@pytest.mark.parametrize("version", ["03", "04", "05", "06", "07", "08"])
def test_camt_versions_share_what_we_read(version):
    data = camt053(WEEK).replace(b"camt.053.001.02", f"camt.053.001.{version}".encode())
    assert parse_statement(data)["transactions"] == expected(WEEK)


# What a bank's export looks like, written by hand: camt.053.001.08, a domestic counter-account
# with its bank code in the agent, a pending entry, a fee without details, a batch of two.
BANK_EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
          xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>KB20261130-000123</MsgId><CreDtTm>2026-11-30T05:12:44.000+01:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>123-1130-2026-0231</Id>
      <ElctrncSeqNb>231</ElctrncSeqNb>
      <CreDtTm>2026-11-30T05:12:44.000+01:00</CreDtTm>
      <Acct>
        <Id><Othr><Id>000019-2000145399</Id></Othr></Id>
        <Ccy>CZK</Ccy>
        <Svcr><FinInstnId><BICFI>KOMBCZPPXXX</BICFI><ClrSysMmbId><MmbId>0100</MmbId></ClrSysMmbId></FinInstnId>
        </Svcr>
      </Acct>
      <Bal><Tp><CdOrPrtry><Cd>PRCD</Cd></CdOrPrtry></Tp><Amt Ccy="CZK">10000.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-26</Dt></Dt></Bal>
      <Ntry>
        <NtryRef>1</NtryRef>
        <Amt Ccy="CZK">1200.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><DtTm>2026-11-27T10:15:00.000+01:00</DtTm></BookgDt>
        <ValDt><Dt>2026-11-27</Dt></ValDt>
        <AcctSvcrRef>5120261127I8K42</AcctSvcrRef>
        <BkTxCd><Prtry><Cd>10000107000</Cd><Issr>CBA</Issr></Prtry></BkTxCd>
        <NtryDtls>
          <TxDtls>
            <Refs>
              <MsgId>M-99812</MsgId>
              <AcctSvcrRef>TX-5120261127I8K42</AcctSvcrRef>
              <EndToEndId>/VS/2026001/SS/77/KS/0308</EndToEndId>
              <TxId>998877</TxId>
            </Refs>
            <Amt Ccy="CZK">1200.00</Amt>
            <CdtDbtInd>CRDT</CdtDbtInd>
            <RltdPties>
              <Dbtr><Pty><Nm>Obec Dolní Lukavice</Nm></Pty></Dbtr>
              <DbtrAcct><Id><Othr><Id>000019-0000123457</Id></Othr></Id></DbtrAcct>
              <Cdtr><Pty><Nm>Sdružení měst a obcí Plzeňského kraje</Nm></Pty></Cdtr>
              <CdtrAcct><Id><Othr><Id>000019-2000145399</Id></Othr></Id></CdtrAcct>
            </RltdPties>
            <RltdAgts>
              <DbtrAgt><FinInstnId><BICFI>KOMBCZPPXXX</BICFI><Othr><Id>0100</Id></Othr></FinInstnId></DbtrAgt>
            </RltdAgts>
            <RmtInf><Ustrd>Úhrada semináře</Ustrd><Ustrd>Účetnictví obcí 2027</Ustrd></RmtInf>
          </TxDtls>
        </NtryDtls>
        <AddtlNtryInf>Příchozí platba</AddtlNtryInf>
      </Ntry>
      <Ntry>
        <Amt Ccy="CZK">500.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>PDNG</Cd></Sts>
        <BookgDt><Dt>2026-11-29</Dt></BookgDt>
        <AcctSvcrRef>5120261129PEND1</AcctSvcrRef>
      </Ntry>
      <Ntry>
        <Amt Ccy="CZK">45.00</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-11-28</Dt></BookgDt>
        <AcctSvcrRef>5120261128FEE01</AcctSvcrRef>
        <BkTxCd><Prtry><Cd>40000405000</Cd><Issr>CBA</Issr></Prtry></BkTxCd>
        <AddtlNtryInf>Poplatek za vedení účtu</AddtlNtryInf>
      </Ntry>
      <Ntry>
        <NtryRef>000004</NtryRef>
        <Amt Ccy="CZK">2400.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-11-28</Dt></BookgDt>
        <NtryDtls>
          <Btch><NbOfTxs>2</NbOfTxs></Btch>
          <TxDtls>
            <Amt Ccy="CZK">1200.00</Amt>
            <CdtDbtInd>CRDT</CdtDbtInd>
            <RltdPties>
              <Dbtr><Pty><Nm>Město Stod</Nm></Pty></Dbtr>
              <DbtrAcct><Id><IBAN>CZ2403000000000123456789</IBAN></Id></DbtrAcct>
            </RltdPties>
            <RmtInf><Strd><CdtrRefInf><Ref>VS:2026005</Ref></CdtrRefInf></Strd></RmtInf>
          </TxDtls>
          <TxDtls>
            <Amt Ccy="CZK">1200.00</Amt>
            <CdtDbtInd>CRDT</CdtDbtInd>
            <RltdPties>
              <Dbtr><Pty><Nm>Město Stod</Nm></Pty></Dbtr>
              <DbtrAcct><Id><IBAN>CZ2403000000000123456789</IBAN></Id></DbtrAcct>
            </RltdPties>
            <RmtInf><Strd><CdtrRefInf><Ref>2026006</Ref></CdtrRefInf></Strd></RmtInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="CZK">300.50</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-11-29</Dt></BookgDt>
        <AcctSvcrRef>5120261129OUT77</AcctSvcrRef>
        <NtryDtls>
          <TxDtls>
            <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
            <RltdPties>
              <Dbtr><Pty><Nm>Sdružení měst a obcí Plzeňského kraje</Nm></Pty></Dbtr>
              <Cdtr><Pty><Nm>Nováková Jana</Nm></Pty></Cdtr>
              <CdtrAcct><Id><IBAN>CZ5508000000001234567899</IBAN></Id></CdtrAcct>
            </RltdPties>
            <RmtInf><Ustrd>Vrácení přeplatku VS 2026003</Ustrd></RmtInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
"""


def test_a_bank_export_written_by_hand():
    statement = parse_statement(BANK_EXPORT.encode())
    assert statement["format"] == "camt.053"
    assert statement["account"] == "19-2000145399/0100"
    assert statement["statement_id"] == "123-1130-2026-0231"
    none = dict.fromkeys(KEYS, None) | {"reversal": False}
    # The batch has no AcctSvcrRef, only an NtryRef: its lines are fingerprinted (never NtryRef).
    ids = [line["bank_id"] for line in statement["transactions"]]
    assert ids[2].startswith("sha256:") and ids[3].startswith("sha256:") and ids[2] != ids[3]
    assert statement["transactions"] == [
        dict(none, bank_id="5120261127I8K42", booked_on="2026-11-27", amount_halere=120000, currency="CZK",
             variable_symbol="2026001", constant_symbol="308", specific_symbol="77",
             counter_account="19-123457/0100", counter_name="Obec Dolní Lukavice",
             message="Úhrada semináře Účetnictví obcí 2027"),
        dict(none, bank_id="5120261128FEE01", booked_on="2026-11-28", amount_halere=-4500, currency="CZK",
             message="Poplatek za vedení účtu"),
        dict(none, bank_id=ids[2], booked_on="2026-11-28", amount_halere=120000, currency="CZK",
             variable_symbol="2026005", counter_account="CZ2403000000000123456789", counter_name="Město Stod"),
        dict(none, bank_id=ids[3], booked_on="2026-11-28", amount_halere=120000, currency="CZK",
             variable_symbol="2026006", counter_account="CZ2403000000000123456789", counter_name="Město Stod"),
        dict(none, bank_id="5120261129OUT77", booked_on="2026-11-29", amount_halere=-30050, currency="CZK",
             variable_symbol="2026003", counter_account="CZ5508000000001234567899", counter_name="Nováková Jana",
             message="Vrácení přeplatku VS 2026003"),
    ]


@pytest.mark.parametrize("text, symbol", [
    ("VS:2026001", "2026001"), ("/VS/0002026001/SS/77/KS/0308", "2026001"), ("VS2026001", "2026001"),
    ("platba vs 2026001 seminář", "2026001"), ("VS: 42", "42"), ("VS.42", "42"),
    ("NVS123", None), ("VS:12345678901", None), ("VS:0000", None), ("", None), (None, None), ("Seminář", None),
])
def test_variable_symbol_in_free_text(text, symbol):
    assert variable_symbol_from(text) == symbol


# GPC

def test_gpc_gives_back_each_line_as_the_bank_wrote_it():
    statement = parse_statement(gpc(WEEK, account="19-2000145399", statement_number=12))
    assert statement["format"] == "gpc"
    assert statement["account"] == "19-2000145399"
    assert statement["statement_id"] == "12"
    assert statement["transactions"] == expected(WEEK, name_width=20)


def test_gpc_twins_without_a_bank_id_stay_two_and_keep_their_ids():
    first = parse_statement(gpc(TWINS))["transactions"]
    ids = [line["bank_id"] for line in first]
    assert len(set(ids)) == 2 and all(bank_id.startswith("sha256:") for bank_id in ids)
    assert ids == [line["bank_id"] for line in parse_statement(gpc(TWINS))["transactions"]]


def test_gpc_names_with_diacritics_in_cp1250_and_in_utf8():
    line = {"amount_halere": 120000, "variable_symbol": "2026001", "counter_name": "Žluťoučký kůň, Úpice"}
    data = gpc([line])
    assert "Žluťoučký kůň, Úpice".encode("cp1250") in data
    assert parse_statement(data)["transactions"][0]["counter_name"] == "Žluťoučký kůň, Úpice"
    assert parse_statement(gpc([line], encoding="utf-8"))["transactions"][0]["counter_name"] == "Žluťoučký kůň, Úpice"


def test_gpc_fixed_widths():
    records = gpc(WEEK).split(b"\r\n")
    assert records[-1] == b""
    assert all(len(record) == 128 for record in records[:-1] if record[:3] in (b"074", b"075"))
    assert records[0][:3] == b"074" and records[1][:3] == b"075"


def test_gpc_reversals_and_lf_line_ends():
    lines = [{"amount_halere": 5000, "code": 4}, {"amount_halere": -7000, "code": 5}]
    data = gpc(lines).replace(b"\r\n", b"\n")
    assert [(line["amount_halere"], line["reversal"]) for line in parse_statement(data)["transactions"]] == [
        (5000, True), (-7000, True)]


def test_gpc_076_text_joins_the_message():
    records = gpc([{"amount_halere": 120000, "message": "Seminář"}]).decode("cp1250").split("\r\n")
    extra = "076" + "REF20261127000000000000001".ljust(26) + "271126" + "Jana Nováková, obec Zbůch".ljust(92)
    data = "\r\n".join([*records[:2], extra, *records[2:]]).encode("cp1250")
    assert parse_statement(data)["transactions"][0]["message"] == "Jana Nováková, obec Zbůch Seminář"


def test_gpc_id_loses_its_leading_zeros_as_in_the_fio_api():
    [line] = parse_statement(gpc([{"amount_halere": 100, "bank_id": "26962199069"}]))["transactions"]
    assert line["bank_id"] == "26962199069"


def test_ten_thousand_gpc_lines_keep_ten_thousand_ids():
    lines = [{"amount_halere": 120000, "variable_symbol": "2026001", "bank_id": None}] * 10_000
    transactions = parse_statement(gpc(lines))["transactions"]
    assert len({line["bank_id"] for line in transactions}) == 10_000


# Files we cannot read

def test_empty_and_unknown_files():
    assert "prázdný" in assert_unreadable(b"")
    assert "prázdný" in assert_unreadable(b"  \r\n")
    assert "formátu" in assert_unreadable(b"Datum;Objem;VS\n27.11.2026;1200;2026001\n")
    assert_unreadable(random.Random(7).randbytes(4000))


def test_broken_xml():
    data = camt053(WEEK)
    assert "XML" in assert_unreadable(data[: len(data) // 2])
    assert_unreadable(b"<?xml version='1.0'?>" + random.Random(8).randbytes(2000))
    assert_unreadable(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Document>&e;'
                      b"</Document>")


@pytest.mark.parametrize("document", [
    b'<?xml version="1.0"?><html><body>P\xc5\x99ihl\xc3\xa1\xc5\xa1en\xc3\xad</body></html>',
    b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn/></Document>',
    b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"><BkToCstmrAcctRpt/></Document>',
    b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt/></Document>',
])
def test_xml_that_is_not_a_statement(document):
    assert "camt.053" in assert_unreadable(document)


@pytest.mark.parametrize("broken, what", [
    (b"<Amt Ccy=\"CZK\">1200.00</Amt>", b"<Amt Ccy=\"CZK\">1200.005</Amt>"),
    (b"<Amt Ccy=\"CZK\">1200.00</Amt>", b"<Amt Ccy=\"CZK\">dvanact set</Amt>"),
    (b"<Amt Ccy=\"CZK\">1200.00</Amt>", b"<Amt Ccy=\"CZK\">NaN</Amt>"),
    (b"<CdtDbtInd>CRDT</CdtDbtInd>", b""),
    (b"<Dt>2026-11-27</Dt>", b"<Dt>2026-13-45</Dt>"),
])
def test_camt_entries_we_cannot_read(broken, what):
    head, entry = camt053([{"amount_halere": 120000, "variable_symbol": "2026001"}]).split(b"<Ntry>")
    assert broken in entry
    assert "pohyb č. 1" in assert_unreadable(head + b"<Ntry>" + entry.replace(broken, what, 1))


def test_gpc_lines_we_cannot_read():
    records = gpc(WEEK).split(b"\r\n")

    def with_record(n, record):
        return b"\r\n".join([*records[:n], record, *records[n + 1:]])

    assert "řádek 2 je příliš krátký" in assert_unreadable(with_record(1, records[1][:100]))
    assert "příliš krátká" in assert_unreadable(with_record(0, records[0][:60]))
    assert "částka" in assert_unreadable(with_record(1, records[1][:48] + b"12x000000000" + records[1][60:]))
    assert "kód účtování" in assert_unreadable(with_record(1, records[1][:60] + b"9" + records[1][61:]))
    assert "datum" in assert_unreadable(with_record(1, records[1][:122] + b"321326"))
    assert "řádek 3" in assert_unreadable(with_record(2, b"099" + b" " * 125))
    assert "bez pohybu" in assert_unreadable(b"\r\n".join([records[0], b"078" + b"x" * 70, b""]))


# The Fio API

TOKEN = "tajny-token-fio-123"


SINCE, UNTIL = date(2026, 11, 20), date(2026, 11, 27)


def fetch(bank):
    return fetch_new(TOKEN, SINCE, UNTIL, base_url=bank.url, timeout=5)


def test_fio_gives_the_lines_of_the_window_every_time():
    with FioStandIn() as bank:
        paid = bank.add({"amount_halere": 120000, "variable_symbol": "2026001", "message": "Seminář účetnictví",
                         "constant_symbol": "0308"})
        refund = bank.add({"amount_halere": -30050, "variable_symbol": "0002026003", "counter_account": None,
                           "counter_name": None, "booked_on": "2026-11-20"})
        bank.add({"amount_halere": 5000, "booked_on": "2026-07-01"})  # before the window
        assert fetch(bank) == expected([paid, refund])

        later = bank.add({"amount_halere": 100000, "variable_symbol": "2026002", "specific_symbol": "77"})
        assert fetch(bank) == expected([paid, refund, later])  # a failed import loses nothing
        assert bank.requests == ["/v1/rest/periods/<token>/2026-11-20/2026-11-27/transactions.json"] * 2


def test_fio_too_soon_is_unavailable_and_loses_nothing():
    with FioStandIn() as bank:
        line = bank.add({"amount_halere": 120000, "variable_symbol": "2026001"})
        bank.fail_next(409)
        with pytest.raises(FioUnavailable) as caught:
            fetch(bank)
        assert caught.value.status == 409
        assert "30 sekund" in str(caught.value)
        assert len(bank.requests) == 1  # no retries inside the call
        assert fetch(bank) == expected([line])


@pytest.mark.parametrize("status, body, words", [
    (401, None, "token"), (500, None, "chybu"), (200, b'{"accountStatement": {', "nerozumíme"),
    (200, b'{"something": "else"}', "nerozumíme"), (200, b"", "nerozumíme"),
])
def test_fio_errors_are_unavailable(status, body, words):
    with FioStandIn() as bank:
        bank.add({"amount_halere": 120000})
        bank.fail_next(status, body)
        with pytest.raises(FioUnavailable) as caught:
            fetch(bank)
        assert not isinstance(caught.value, StatementError)
        assert words in str(caught.value)
        assert TOKEN not in str(caught.value)
        assert len(fetch(bank)) == 1


def test_fio_not_listening_is_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FioUnavailable) as caught:
        fetch_new(TOKEN, SINCE, UNTIL, base_url=f"http://127.0.0.1:{port}/v1/rest/", timeout=5)
    assert caught.value.status is None
    assert TOKEN not in str(caught.value)


def test_a_statement_over_the_console_limit_is_refused_in_czech_before_lxml_reads_it():
    from services.common.errors import ValidationError
    from services.common.packed import STATEMENT_MAX_BYTES, STATEMENT_TOO_LARGE, pack
    from services.payments.schemas import statement_in
    big = b"<?xml version='1.0'?><Document>" + b" " * STATEMENT_MAX_BYTES + b"</Document>"
    with pytest.raises(StatementError) as refused:
        parse_statement(big)
    assert str(refused.value) == STATEMENT_TOO_LARGE and "nejvýše 30 MB" in STATEMENT_TOO_LARGE
    with pytest.raises(ValidationError) as refused:
        statement_in.load_or_raise({"data": pack(big)})
    assert refused.value.fields == {"data": STATEMENT_TOO_LARGE}
