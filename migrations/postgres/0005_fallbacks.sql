-- Endpoint fallback. A recipient keeps every endpoint a batch may use for it, in order of
-- preference (JSON: [{"channel", "address", "rate_key"}, …]); a delivery starts at the first.
-- When an endpoint can never take a letter (a form behind a recaptcha, a CWC office that is
-- not active), the worker moves the delivery to the next one and says why in `route_note`,
-- which `batch status` and the audit show. Same columns as ../sqlite/0005_fallbacks.sql.

ALTER TABLE recipients ADD COLUMN endpoints TEXT NOT NULL DEFAULT '[]';
ALTER TABLE deliveries ADD COLUMN route_note TEXT;

-- The channel each attempt went through (a delivery that moved on has attempts on more than
-- one). NULL on attempts recorded before this column existed: the delivery's channel.
ALTER TABLE attempts ADD COLUMN channel TEXT CHECK (channel IN ('email', 'web_form', 'cwc', 'none'));
