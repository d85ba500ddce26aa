"""The staff console's lookup by IČO on the member register page, and adding an organisation
from ARES (a local stand-in)."""
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.backoffice import store, usecases
from services.backoffice.service import BackofficeService
from services.common.db import Database, utcnow
from services.common.unit_of_work import UnitOfWork
from services.members.service import MembersService
from services.registrations.service import RegistrationsService
from tests.ares_standin import PRAHA, AresStandIn
from tests.conftest import free_port
from tests.integration.test_console import PASSWORD, csrf_of, logged_in


@pytest.fixture
def console(runner_factory, service_config):
    port = free_port()
    with AresStandIn(PRAHA) as ares:
        config = dict(service_config, BACKOFFICE_ADDRESS=f"127.0.0.1:{port}", ARES_URL=ares.url)
        runner_factory(config, BackofficeService, MembersService, RegistrationsService).start()
        database = Database(config["DATABASES"]["backoffice"], store.metadata)
        with database.transaction() as tx:
            admin, _ = usecases.create_account(UnitOfWork(tx, utcnow()), "admin@smopk.example", "Admin", "admin",
                                               password=PASSWORD)
            secret = usecases.new_totp_secret()
            store.update_account(tx, admin["id"], {"must_change_password": False, "totp_secret": secret})
        database.dispose()
        with ClusterRpcProxy(config, timeout=30) as cluster:
            yield f"http://127.0.0.1:{port}", cluster, {"admin": secret}, ares


def test_the_administrator_looks_up_an_ico_and_adds_the_organisation_from_ares(console):
    base, cluster, secrets, ares = console
    admin = logged_in(base, "admin", secrets)
    page = admin.get(f"{base}/clenove?hledat=00064581")
    assert page.status_code == 200
    assert "IČO 00064581 v registru ARES" in page.text
    assert "Hlavní město Praha, Mariánské náměstí 2/2, Staré Město, 110 00 Praha 1, DIČ CZ00064581" in page.text
    assert "Přidat do evidence podle ARES" in page.text

    added = admin.post(f"{base}/clenove/pridat", data={"csrf": csrf_of(page), "ico": "00064581"})
    assert added.status_code == 200 and added.url.endswith("/clenove/00064581")
    assert "Mariánské náměstí 2/2, Staré Město, 110 00 Praha 1 · DIČ CZ00064581" in added.text
    assert "Není členem." in added.text
    assert ("Organizace Hlavní město Praha (IČO 00064581) je přidána do evidence podle registru ARES. "
            "Zatím není členem.") in added.text
    organisation = cluster.members.get_organisation("00064581")
    assert (organisation["kind"], organisation["dic"], organisation["is_member"]) == ("obec", "CZ00064581", False)
    assert len(ares.requests) == 1  # adding took the answer members kept from the search
    assert "přidána organizace z ARES" in admin.get(f"{base}/audit").text

    again = admin.get(f"{base}/clenove?hledat=00064581")
    assert "IČO 00064581 v evidenci sdružení" in again.text and "Přidat do evidence" not in again.text
    twice = admin.post(f"{base}/clenove/pridat", data={"csrf": csrf_of(again), "ico": "00064581"})
    assert "Organizace Hlavní město Praha (IČO 00064581) už v evidenci je; nic nového se nepřidalo." in twice.text
    assert len(ares.requests) == 1


def test_an_unknown_or_unreachable_ico_says_so_and_adds_nothing(console):
    base, cluster, secrets, ares = console
    admin = logged_in(base, "admin", secrets)
    page = admin.get(f"{base}/clenove?hledat=27074358")
    assert "Organizace s IČO 27074358 není v evidenci sdružení ani v registru ARES." in page.text
    refused = admin.post(f"{base}/clenove/pridat", data={"csrf": csrf_of(page), "ico": "27074358"})
    assert refused.status_code == 409 and "Přidat do evidence" not in refused.text
    ares.fail_next(500)
    down = admin.get(f"{base}/clenove?hledat=00064581")
    assert down.status_code == 200
    assert "Registr ARES hlásí chybu na své straně; zkuste to prosím později." in down.text
    bad = admin.post(f"{base}/clenove/pridat", data={"csrf": csrf_of(page), "ico": "1234"})
    assert bad.status_code == 422
    assert cluster.members.membership_register() == []
