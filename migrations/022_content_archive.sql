-- Archived content: a finished (complete or failed) piece taken out of the board and out of the library's
-- default view, kept with its distributions and metrics. NULL while the piece is current. A column rather
-- than a production status, so the production lifecycle (content-model.ts) stays as it is: archiving says
-- nothing about how far production got.
ALTER TABLE content ADD COLUMN archived_at timestamptz;
