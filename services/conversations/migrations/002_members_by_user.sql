-- A user's conversations are listed in id order (the gateway pages them on connect): the index
-- serves that keyset directly, and still serves every lookup by user alone.
CREATE INDEX members_user_conversation ON members (user_id, conversation_id);
DROP INDEX members_user_id;
