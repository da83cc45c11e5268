-- Process-wide settings that every seam process sharing this database must agree on
-- (mode, go-live date, kill switch). Small, read often, written by admins.
CREATE TABLE seam_settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text
);
