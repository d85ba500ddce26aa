from services.common.migrations import run_env
from services.documents.store import metadata

run_env(metadata)
