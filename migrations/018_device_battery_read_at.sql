-- When each battery reading was taken, and why the latest read failed. A failed read (no WebDriverAgent
-- session, a session that changed, an old-format status 6) used to leave the last value looking current:
-- a phone at 3% showed 72% and raised no battery_low. Readings older than SOVI_BATTERY_STALE_MINUTES are
-- marked unknown (battery_level NULL) with battery_unknown_reason saying why; battery_read_at keeps the
-- time of the last real reading so its age can be shown.
ALTER TABLE devices
  ADD COLUMN battery_read_at timestamptz,
  ADD COLUMN battery_unknown_reason text CHECK (char_length(battery_unknown_reason) <= 500);

-- Readings taken before this migration have no time of their own: the row's last update is the best bound.
UPDATE devices SET battery_read_at = updated_at WHERE battery_level IS NOT NULL;
