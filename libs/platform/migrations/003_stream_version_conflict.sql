-- Lets one statement abort itself when a stream was not at the version its writer expected, so an
-- append needs no lock taken beforehand (see streamAppendCtes in event-store.ts).
CREATE FUNCTION stream_version_conflict(streams text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'stream version conflict: streams % are not at their expected versions', streams USING ERRCODE = '40001';
END
$$;
