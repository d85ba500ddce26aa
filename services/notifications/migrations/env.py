from services.common.migrations import run_env
from services.notifications.store import metadata

run_env(metadata)
