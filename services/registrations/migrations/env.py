from services.common.migrations import run_env
from services.registrations.store import metadata

run_env(metadata)
