from csms_core.storage.migrate import run_env

run_env()
