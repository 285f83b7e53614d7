"""Tools of the platform, not shared service code: the runner, preflight, backup and the dev mail sink."""
