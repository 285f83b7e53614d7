import services  # noqa: F401 -- its warning filter first
