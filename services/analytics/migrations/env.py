from services.common.migrate import run_env

run_env("analytics")
