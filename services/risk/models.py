from sqlalchemy import MetaData

from services.common import inbox, outbox

metadata = MetaData(schema="risk")
outbox.table(metadata)
inbox.table(metadata)
