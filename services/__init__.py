import warnings

# eventlet announces its deprecation on import; nameko 2.14 depends on it (see README).
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
