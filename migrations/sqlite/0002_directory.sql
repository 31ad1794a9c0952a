-- The recipient directory: the public-data files of the last `hillpost directory import`,
-- kept whole with their SHA-256 and re-parsed on load, plus the ZIP → district table as rows.
-- Same tables and columns as ../postgres/0002_directory.sql.
--
-- Why whole files: the parser (hillpost-directory) already gives every record its file,
-- revision and line, so keeping the files keeps that provenance exactly, and the store needs
-- no knowledge of legislators, committees or forms. The ZIP table is the one part looked up
-- row by row, so it is a table.

CREATE TABLE directory_files (
    -- What the file is: legislators, committees, membership, executive, form_variables,
    -- form_constants, member_form, official_form, zip_districts.
    role         TEXT NOT NULL CHECK (role IN ('legislators', 'committees', 'membership',
                     'executive', 'form_variables', 'form_constants', 'member_form',
                     'official_form', 'zip_districts')),
    -- Relative to the folder given on import (`members/A000055.yaml`).
    name         TEXT NOT NULL,
    -- The revision every record read from the file carries.
    sha256       TEXT NOT NULL CHECK (length(sha256) = 64),
    -- The bytes as read; empty for zip_districts, whose rows are in zip_districts.
    content      BLOB NOT NULL,
    imported_at  INTEGER NOT NULL,
    PRIMARY KEY (role, name)
) STRICT;

CREATE TABLE zip_districts (
    zip       TEXT NOT NULL CHECK (length(zip) = 5),
    state     TEXT NOT NULL CHECK (length(state) = 2),
    -- 0 = at large.
    district  INTEGER NOT NULL CHECK (district BETWEEN 0 AND 99),
    PRIMARY KEY (zip, state, district)
) STRICT;
