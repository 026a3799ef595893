-- Whether any (sender, client message id) pair is stored already: the one-statement append of a
-- batch (MessageStore.writeSends) writes nothing when a send retries a stored message. A function,
-- planned with sequential scans and hash joins off, because that statement is prepared once per
-- connection and Postgres keeps its generic plan: made while history was small (a fresh deployment,
-- or autovacuum off, so no ANALYZE ever replans it), the inline form hashed a sequential scan of the
-- whole table on every batch, a cost that grew with history (1 ms per batch after 15,000 messages).
CREATE FUNCTION sent_before(senders uuid[], client_ids text[]) RETURNS boolean
LANGUAGE plpgsql STABLE
SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off
AS $$
BEGIN
  RETURN EXISTS (SELECT FROM history x JOIN unnest(senders, client_ids) AS k(sender, client_id)
    ON x.sender_id = k.sender AND x.client_message_id = k.client_id);
END
$$;
