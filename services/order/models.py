from sqlalchemy import MetaData

from services.common import inbox, outbox

metadata = MetaData(schema="order")
outbox.table(metadata)
inbox.table(metadata)
