"""Staff accounts of the console from the command line.

    python -m tools.staff_user EMAIL ROLE [--name NAME]   # make staff-user EMAIL=… ROLE=…
    python -m tools.staff_user --bootstrap EMAIL          # the first administrator, once
    python -m tools.staff_user EMAIL --disable            # make staff-user EMAIL=… DO=disable
    python -m tools.staff_user EMAIL --enable | --reset-password | --reset-code

Prints the one-time password, which must be changed at the first login. No
account, and so no password, exists until one of these makes it. The others
change an existing account as the console's accounts page does (for when no
administrator can log in: the last one lost the phone or is disabled), and
record it in the audit log as done from the command line.
"""
import argparse
import os
import sys

import yaml
from nameko.cli.main import setup_yaml_parser

from services.backoffice import store, usecases
from services.common.db import Database, utcnow
from services.common.errors import ServiceError
from services.common.unit_of_work import unit_of_work

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
        with unit_of_work(db, utcnow) as uow:
            return usecases.create_account(uow, email, name or email, role)
    finally:
        db.dispose()


def bootstrap(email):
    """The first administrator and its one-time password, or None when any account exists."""
    db = database()
    try:
        with unit_of_work(db, utcnow) as uow:
            return usecases.bootstrap_admin(uow, email)
    finally:
        db.dispose()


# Who acts, for the audit log, when the command line changes an account.
COMMAND_LINE = {"id": None, "email": "příkazová řádka (make staff-user)"}


def change(email, what):
    """``what`` (disable, enable, reset-password, reset-code) done to the account of ``email``;
    returns the new one-time password for reset-password, else None."""
    db = database()
    try:
        with unit_of_work(db, utcnow) as uow:
            account = store.get_account(uow.conn, email=email.strip().lower())
            if account is None:
                raise SystemExit(f"No account {email}.")
            if what in ("disable", "enable"):
                usecases.set_active(uow, COMMAND_LINE, account["id"], what == "enable")
            elif what == "reset-password":
                return usecases.reset_password(uow, COMMAND_LINE, account["id"])[1]
            else:
                usecases.reset_second_factor(uow, COMMAND_LINE, account["id"])
        return None
    except ServiceError as refused:  # the last active administrator, say
        raise SystemExit(refused.message) from None
    finally:
        db.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("email")
    parser.add_argument("role", nargs="?", choices=("admin", "staff", "door"))
    parser.add_argument("--name")
    parser.add_argument("--bootstrap", action="store_true", help="make EMAIL the first administrator, if none exists")
    changes = parser.add_mutually_exclusive_group()
    for what, said in (("disable", "disable the account: no login, its sessions end"),
                       ("enable", "enable a disabled account again"),
                       ("reset-password", "a new one-time password; its sessions end"),
                       ("reset-code", "forget the second factor: set up again at the next login; its sessions end")):
        changes.add_argument(f"--{what}", action="store_const", const=what, dest="change", help=said)
    args = parser.parse_args()
    if args.change:
        password = change(args.email, args.change)
        print(f"Account {args.email}: {args.change} done; its sessions ended." if args.change != "enable" else
              f"Account {args.email}: enabled.")
        if password:
            print(f"One-time password: {password} (it must be changed at the next login)")
        return 0
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
