-- 006: the vault key that sealed a stored secret, read from its envelope header (version 1 | key id length |
-- key id | …) without decrypting anything. `sovi keys status` counts values per key with it.

CREATE FUNCTION sovi_envelope_key_id(envelope bytea) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE
  WHEN length(envelope) >= 2 AND get_byte(envelope, 0) = 1 AND length(envelope) >= 2 + get_byte(envelope, 1)
  THEN convert_from(substring(envelope FROM 3 FOR get_byte(envelope, 1)), 'UTF8')
END;
