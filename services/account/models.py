from sqlalchemy import MetaData

from services.common import inbox, outbox

metadata = MetaData(schema="account")
outbox.table(metadata)
inbox.table(metadata)
