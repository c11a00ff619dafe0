-- 015: the account listing's order (created_at, id, the keyset of `sovi accounts list` and GET
-- /api/v1/accounts). Without it every page sorted the whole table: measured by bench/api.ts on 20,000
-- accounts, a 50-row page took 168 ms at the median.
CREATE INDEX accounts_created_id_idx ON accounts (created_at, id);
