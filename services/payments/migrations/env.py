from services.common.migrations import run_env
from services.payments.store import metadata

run_env(metadata)
