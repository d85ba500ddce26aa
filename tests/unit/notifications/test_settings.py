"""notifications' settings: the data box's sender kind as compose and Kubernetes give it."""
import os

import pytest
import yaml
from nameko.cli.main import setup_yaml_parser

from services.notifications.settings import load
from tests.conftest import ROOT


@pytest.mark.parametrize("given, public_body", [
    ("true", True), ("false", False), ("ano", True), ("ne", False), ("1", True), ("0", False), ("yes", True)])
def test_the_senders_kind_from_the_environment_counts_as_every_other_flag(monkeypatch, given, public_body):
    """compose and the ConfigMap set ISDS_SENDER_OVM in the environment; config.yaml takes it
    (``${ISDS_SENDER_OVM:true}``) as ``nameko run`` reads the file, and "ano" is yes as for VAT_PAYER."""
    monkeypatch.setenv("ISDS_SENDER_OVM", given)
    setup_yaml_parser()
    with open(os.path.join(ROOT, "deploy", "config.yaml"), encoding="utf-8") as config_file:
        config = yaml.safe_load(config_file)
    assert load(config).isds_sender_ovm is public_body


def test_unset_the_sender_is_a_public_body():
    assert load({}).isds_sender_ovm is True
