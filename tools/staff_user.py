"""Staff accounts of the console from the command line.

    python -m tools.staff_user EMAIL ROLE [--name NAME]   # make staff-user EMAIL=… ROLE=…
    python -m tools.staff_user --bootstrap EMAIL          # the first administrator, once

Prints the one-time password, which must be changed at the first login. No
account, and so no password, exists until one of these makes it.
"""
import argparse
import os
import sys

import yaml
from nameko.cli.main import setup_yaml_parser

from services.backoffice import store, usecases
from services.common.db import Database, utcnow

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def database():
    """The console's database, from the same configuration its service reads."""
    setup_yaml_parser()
    with open(os.path.join(ROOT, "deploy", "config.yaml")) as config:
        url = yaml.safe_load(config)["DATABASES"]["backoffice"]
    found = Database(url, store.metadata)
    found.create_schema("backoffice")
    return found


def create(email, role, name=None):
    """``(account, one-time password)``."""
    db = database()
    try:
        with db.transaction() as tx:
            return usecases.create_account(tx, email, name or email, role, utcnow())
    finally:
        db.dispose()


def bootstrap(email):
    """The first administrator and its one-time password, or None when any account exists."""
    db = database()
    try:
        with db.transaction() as tx:
            return usecases.bootstrap_admin(tx, email, utcnow())
    finally:
        db.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("email")
    parser.add_argument("role", nargs="?", choices=("admin", "staff", "door"))
    parser.add_argument("--name")
    parser.add_argument("--bootstrap", action="store_true", help="make EMAIL the first administrator, if none exists")
    args = parser.parse_args()
    if args.bootstrap:
        made = bootstrap(args.email)
        if made is None:
            print("Accounts exist already; nothing made.")
            return 0
    elif args.role is None:
        parser.error("ROLE is admin, staff or door")
    else:
        made = create(args.email, args.role, args.name)
    account, password = made
    print(f"Account {account['email']} ({account['role']}); one-time password: {password}")
    print("It must be changed at the first login.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
