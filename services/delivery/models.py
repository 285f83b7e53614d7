from services.common.db import service_metadata

metadata = service_metadata("delivery")
